#!/usr/bin/env python3
"""Writes a large synthetic pcap for `make bench`: a mix shaped like a busy office uplink during
calls — RTP/SRTP audio and video over UDP (IPv4 and IPv6, some 802.1Q-tagged), STUN checks,
TURN ChannelData, DTLS, and TCP/TLS flows. Deterministic (seeded) so runs compare."""
import random
import struct
import sys

def checksum_free_ipv4(src, dst, proto, payload_len, ident):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst)

def ipv6(src, dst, proto, payload_len):
    return struct.pack("!IHBB16s16s", 0x60000000, payload_len, proto, 64, src, dst)

def main(path, count):
    rng = random.Random(7)
    flows = []
    for i in range(3000):
        v6 = i % 7 == 0
        vlan = i % 5 == 0
        kind = rng.choice(["rtp", "rtp", "rtp", "video", "stun", "channel", "dtls", "tcp"])
        if v6:
            src = bytes.fromhex("20010db8000000000000000000%06x" % i)
            dst = bytes.fromhex("20010db8ffff00000000000000%06x" % (i * 7 + 1))
        else:
            src = bytes([192, 168, (i >> 8) & 0xFF, i & 0xFF])
            dst = bytes([203, 0, 113, (i * 13) & 0xFF])
        flows.append((kind, v6, vlan, src, dst, 10000 + i, 3478 if kind in ("stun", "channel") else 20000 + i))
    out = open(path, "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t = 1_700_000_000.0
    seq = [0] * len(flows)
    mac = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
    for n in range(count):
        i = rng.randrange(len(flows))
        kind, v6, vlan, src, dst, sport, dport = flows[i]
        seq[i] += 1
        forward = seq[i] % 3 != 0
        s, d, sp, dp = (src, dst, sport, dport) if forward else (dst, src, dport, sport)
        if kind in ("rtp", "video"):
            body = struct.pack("!BBHII", 0x80, 111 if kind == "rtp" else 96, seq[i] & 0xFFFF, seq[i] * 960, 0x1000 + i)
            body += bytes(160 if kind == "rtp" else 1000)
        elif kind == "stun":
            body = struct.pack("!HHI12s", 0x0001 if forward else 0x0101, 12, 0x2112A442, bytes(12))
            body += struct.pack("!HHBBH4s", 0x0020, 8, 0, 1, 0x1234, b"\x01\x02\x03\x04")
        elif kind == "channel":
            inner = struct.pack("!BBHII", 0x80, 111, seq[i] & 0xFFFF, seq[i] * 960, 0x2000 + i) + bytes(120)
            body = struct.pack("!HH", 0x4000, len(inner)) + inner
        elif kind == "dtls":
            body = struct.pack("!BHHIHH", 23, 0xFEFD, 1, seq[i], 0, 100) + bytes(100)
        else:
            body = None
        if body is None:
            tls = struct.pack("!BHH", 23, 0x0303, 300) + bytes(300)
            l4 = struct.pack("!HHIIBBHHH", sp, dp, seq[i] * 1000, 1, 0x50, 0x18, 65535, 0, 0) + tls
            proto = 6
        else:
            l4 = struct.pack("!HHHH", sp, dp, 8 + len(body), 0) + body
            proto = 17
        if v6:
            ip, ethertype = ipv6(s, d, proto, len(l4)), 0x86DD
        else:
            ip, ethertype = checksum_free_ipv4(s, d, proto, len(l4), n), 0x0800
        eth = mac + (struct.pack("!HHH", 0x8100, 100, ethertype) if vlan else struct.pack("!H", ethertype))
        frame = eth + ip + l4
        t += 0.00002
        sec = int(t)
        out.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(frame), len(frame)))
        out.write(frame)
    out.close()

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
