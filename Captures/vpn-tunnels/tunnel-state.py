#!/usr/bin/env python3
"""Writes the truth of one real tunnel capture as JSON on stdout, from the tunnel's own state only:
strongSwan's `swanctl --list-sas --raw` on both ends (IKE SA endpoints, NAT flags, UDP
encapsulation, the CHILD SA's SPIs, traffic selectors and packet counters) or `wg show dump`
(endpoint, latest handshake, transfer), plus what the media senders inside the tunnel sent and
received. Nothing here comes from callpath.

    tunnel-state.py ipsec|wireguard CAPTURE WORKDIR"""
import json
import os
import re
import sys


def vici_values(text):
    """key=value pairs of a `swanctl --raw` dump, in order (lists flattened to key=[a b])."""
    return re.findall(r"([\w-]+)=(\[[^\]]*\]|[^ {}]+)", text)


def ipsec(work):
    result = {"tunnel": "ipsec", "path": "vpn", "source": "swanctl --list-sas --raw on both ends (strongSwan 5.9.8, "
              "kernel-libipsec)"}
    for side in ("client", "server"):
        raw = open(os.path.join(work, side + "-sas.txt")).read()
        pairs = dict()
        for key, value in vici_values(raw):
            pairs.setdefault(key, value)  # the IKE SA's keys come first, then the CHILD SA's
        result[side] = {k: pairs.get(k) for k in (
            "state", "local-host", "local-port", "remote-host", "remote-port", "nat-local", "nat-remote", "nat-fake",
            "nat-any", "encr-alg", "integ-alg", "dh-group", "protocol", "encap", "mode", "spi-in", "spi-out",
            "bytes-in", "packets-in", "bytes-out", "packets-out", "local-ts", "remote-ts") if k in pairs}
        result[side]["raw"] = raw.strip()
    client = result["client"]
    result["outer"] = {"local": "%s:%s" % (client["local-host"], client["local-port"]),
                       "remote": "%s:%s" % (client["remote-host"], client["remote-port"])}
    return result


def wireguard(work):
    result = {"tunnel": "wireguard", "path": "vpn", "source": "wg show dump on both ends (wireguard-go)"}
    for side, name in (("client", "client-wg.txt"), ("server", "server-wg.txt")):
        lines = open(os.path.join(work, name)).read().split("\n")
        interface = lines[0].split("\t")
        peer = lines[1].split("\t")
        result[side] = {"listenPort": int(interface[2]), "peerEndpoint": peer[2], "allowedIPs": peer[3],
                        "latestHandshake": int(peer[4]), "rxBytes": int(peer[5]), "txBytes": int(peer[6])}
    client = result["client"]
    result["outer"] = {"local": "192.168.50.2:%d" % client["listenPort"], "remote": client["peerEndpoint"]}
    return result


def main(kind, capture, work):
    result = ipsec(work) if kind == "ipsec" else wireguard(work)
    result["capture"] = os.path.basename(capture)
    result["media"] = [json.loads(open(os.path.join(work, f)).read().strip().splitlines()[-1])
                       for f in ("media-client.json", "media-server.json")]
    result["innerMedia"] = {"local": result["media"][0]["local"], "remote": result["media"][0]["remote"]}
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main(*sys.argv[1:4])
