#!/usr/bin/env python3
"""Re-encapsulates an Ethernet capture's IP packets under another link layer, for link types the
test machine cannot capture natively (no PPP in its kernel; no BSD loopback on Linux):
  null   DLT_NULL, 4-byte family in little-endian host order, AF_INET6 = 30 (a macOS utun capture)
  loop   DLT_LOOP, 4-byte family in network order (OpenBSD)
  ppp    DLT_PPP with FF 03 address/control and a 2-byte protocol (as on a ppp0 interface)
  raw    LINKTYPE_RAW (101)
  qinq   Ethernet with an 802.1ad S-tag and an 802.1Q C-tag inserted
Only the headers change; every IP packet and timestamp is kept as captured."""
import struct
import sys

LINKTYPES = {"null": 0, "loop": 108, "ppp": 9, "raw": 101, "qinq": 1}

def records(path):
    data = open(path, "rb").read()
    magic, = struct.unpack("<I", data[:4])
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "classic little-endian pcap expected"
    offset = 24
    while offset + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack("<IIII", data[offset:offset + 16])
        yield data[:24], sec, frac, data[offset + 16:offset + 16 + caplen], length
        offset += 16 + caplen

def relink(frame, kind):
    ethertype, = struct.unpack("!H", frame[12:14])
    ip = frame[14:]
    v6 = ethertype == 0x86DD
    if kind == "null":
        return struct.pack("<I", 30 if v6 else 2) + ip  # AF_INET6 as macOS writes it
    if kind == "loop":
        return struct.pack("!I", 24 if v6 else 2) + ip
    if kind == "ppp":
        return b"\xff\x03" + struct.pack("!H", 0x0057 if v6 else 0x0021) + ip
    if kind == "raw":
        return ip
    if kind == "qinq":
        return frame[:12] + struct.pack("!HHHH", 0x88A8, 0x0064, 0x8100, 0x00C8) + frame[12:]
    raise SystemExit("unknown kind " + kind)

def main(source, kind, target):
    out = open(target, "wb")
    header_written = False
    for header, sec, frac, frame, length in records(source):
        if not header_written:
            out.write(header[:20] + struct.pack("<I", LINKTYPES[kind]))
            header_written = True
        new = relink(frame, kind)
        out.write(struct.pack("<IIII", sec, frac, len(new), length - len(frame) + len(new)))
        out.write(new)

if __name__ == "__main__":
    main(*sys.argv[1:4])
