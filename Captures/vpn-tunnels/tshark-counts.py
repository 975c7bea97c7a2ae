#!/usr/bin/env python3
"""Writes FILE.tshark-counts.json: for each display filter below, how many frames of the capture
tshark matches and which (as ranges "1-4,9"), with the RTP heuristic on (as the public truth in
../shared/captures/public/truth was made), plus the frames tshark marks malformed. This is the
ground truth of OwnCaptureProtocolCountTests; nothing here comes from callpath.

    tshark-counts.py CAPTURE..."""
import json
import subprocess
import sys

FILTERS = ["eth", "arp", "ip", "udp", "tcp", "icmp", "esp", "isakmp", "udpencap", "wg", "l2tp", "gre", "pptp",
           "ppp", "lcp", "ipcp", "rtp", "rtcp", "stun", "stun.channel", "classicstun", "dtls", "tls", "quic", "sip", "openvpn",
           "data"]
OPTIONS = ["--enable-heuristic", "rtp_udp"]


def ranges(numbers):
    parts, start, previous = [], None, None
    for n in numbers:
        if start is None:
            start = previous = n
        elif n == previous + 1:
            previous = n
        else:
            parts.append(str(start) if start == previous else "%d-%d" % (start, previous))
            start = previous = n
    if start is not None:
        parts.append(str(start) if start == previous else "%d-%d" % (start, previous))
    return ",".join(parts)


def dissect(path):
    """One tshark pass printing, per frame, its number, whether tshark marks it malformed and, per
    filter, the field's text: a protocol prints text exactly when its tree item exists, which is
    what the protocol's display filter matches."""
    fields = ["frame.number", "_ws.malformed"] + FILTERS
    arguments = ["tshark", "-n", "-r", path] + OPTIONS + ["-T", "fields", "-E", "occurrence=f"]
    for field in fields:
        arguments += ["-e", field]
    out = subprocess.run(arguments, capture_output=True, text=True, check=True).stdout
    return [[column != "" for column in line.split("\t")[1:]] + [int(line.split("\t")[0])]
            for line in out.splitlines()]


def main(path):
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    rows = dissect(path)
    counts, lists = {}, {}
    for i, name in enumerate(FILTERS):
        found = [row[-1] for row in rows if row[1 + i]]
        if found:
            counts[name] = len(found)
            lists[name] = ranges(found)
    malformed = [row[-1] for row in rows if row[0]]
    result = {"file": path.rsplit("/", 1)[-1], "tool": version, "options": OPTIONS, "frames": len(rows),
              "frame_counts_by_filter": counts, "frames_by_filter": lists, "malformed_frames": ranges(malformed)}
    with open(path + ".tshark-counts.json", "w") as out:
        json.dump(result, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    for capture in sys.argv[1:]:
        main(capture)
