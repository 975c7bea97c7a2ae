#!/usr/bin/env python3
"""Writes FILE.tshark.json: tshark's UDP/TCP conversation table for a capture, in the same shape as
../shared/captures/public/truth (a/b endpoints, frames each way, exact bytes each way, relative
start, duration). tshark prints large byte counts rounded ("12 kB"), so exact bytes come from a
per-packet pass over the same frames, keyed the way tshark keys conversations."""
import json
import re
import subprocess
import sys

ROW = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+\d+\s+\S+\s+(\d+)\s+\d+\s+\S+\s+\d+\s+\d+\s+\S+\s+([-\d.]+)\s+([-\d.]+)")

def split(endpoint):
    address, port = endpoint.rsplit(":", 1)
    return address, int(port)

def main(path):
    table = subprocess.run(["tshark", "-n", "-r", path, "-q", "-z", "conv,udp", "-z", "conv,tcp"],
                           capture_output=True, text=True, check=True).stdout
    fields = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=f", "-e", "frame.len",
                             "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
                             "-e", "udp.srcport", "-e", "udp.dstport", "-e", "tcp.srcport", "-e", "tcp.dstport"],
                            capture_output=True, text=True, check=True).stdout
    directed = {}
    for line in fields.splitlines():
        length, s4, d4, s6, d6, us, ud, ts, td = (line.split("\t") + [""] * 9)[:9]
        src, dst = s4 or s6, d4 or d6
        transport, sp, dp = ("udp", us, ud) if us else ("tcp", ts, td)
        if not sp:
            continue
        key = (transport, src, int(sp), dst, int(dp))
        directed[key] = directed.get(key, 0) + int(length)
    result = {"file": path.rsplit("/", 1)[-1], "tool": subprocess.run(["tshark", "--version"], capture_output=True,
              text=True).stdout.splitlines()[0], "conversations": {"udp": [], "tcp": []}}
    transport = None
    for line in table.splitlines():
        if line.startswith("UDP Conversations"):
            transport = "udp"
        elif line.startswith("TCP Conversations"):
            transport = "tcp"
        match = ROW.match(line)
        if not (match and transport):
            continue
        a, b, frames_b_to_a, frames_a_to_b, start, duration = match.groups()
        (aa, ap), (ba, bp) = split(a), split(b)
        result["conversations"][transport].append({
            "a_addr": aa, "a_port": ap, "b_addr": ba, "b_port": bp,
            "frames_a_to_b": int(frames_a_to_b), "frames_b_to_a": int(frames_b_to_a),
            "bytes_a_to_b": directed.get((transport, aa, ap, ba, bp), 0),
            "bytes_b_to_a": directed.get((transport, ba, bp, aa, ap), 0),
            "bytes_exact": True, "rel_start": start, "duration": duration})
    json.dump(result, open(path + ".tshark.json", "w"), indent=1)

if __name__ == "__main__":
    for capture in sys.argv[1:]:
        main(capture)
