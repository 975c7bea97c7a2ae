#!/usr/bin/env python3
"""Derives small broken copies of the tunnel captures (fixed seed, so every rebuild writes the same
bytes): malformed/<capture>-malformed.pcap holds a few good packets of the capture as they are,
then, one after another, a packet whose tunnel header was broken and the next good packet.
malformed/<capture>-malformed.json says for every frame which frame of the source it was made from
and what was done to it (null: unchanged). Ways of breaking a tunnel header:

  *-truncated   the frame cut inside the tunnel header, as a snaplen would (captured length
                shorter than the length on the wire)
  *-flipped     bytes of the tunnel header XORed so a field takes a value its RFC forbids
                (a reserved ESP SPI, IKE major version, WireGuard reserved bytes or type, L2TP or
                GRE version, PPTP magic cookie)
  *-length      a length field that does not match the bytes (IKE length below its header,
                L2TP length past the datagram, a WireGuard data message not a multiple of 16,
                the length of the IPv4 packet inside GRE below its header, PPTP's GRE payload length)

    make-malformed.py   (reads the captures beside it, writes malformed/)"""
import json
import os
import random
import struct

SEED = 20250601
HERE = os.path.dirname(os.path.abspath(__file__))


def records(path):
    data = open(path, "rb").read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4, "classic little-endian pcap expected"
    offset, out = 24, []
    while offset + 16 <= len(data):
        sec, usec, caplen, length = struct.unpack("<IIII", data[offset:offset + 16])
        out.append((sec, usec, data[offset + 16:offset + 16 + caplen], length))
        offset += 16 + caplen
    return data[:24], out


def checksum(header):
    if len(header) % 2:
        header += b"\0"
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


class Frame:
    """An Ethernet/IPv4 frame as a bytearray with its header offsets."""

    def __init__(self, data):
        self.b = bytearray(data)
        self.ip = 14
        self.ihl = (self.b[self.ip] & 0x0F) * 4
        self.proto = self.b[self.ip + 9]
        self.l4 = self.ip + self.ihl
        self.payload = self.l4 + 8 if self.proto == 17 else self.l4  # UDP payload, or the IP payload
        if self.proto == 6:
            self.payload = self.l4 + (self.b[self.l4 + 12] >> 4) * 4

    def ports(self):
        return struct.unpack("!HH", bytes(self.b[self.l4:self.l4 + 4])) if self.proto in (6, 17) else (0, 0)

    def fix_ip(self):
        self.b[self.ip + 10:self.ip + 12] = b"\0\0"
        self.b[self.ip + 10:self.ip + 12] = struct.pack("!H", checksum(bytes(self.b[self.ip:self.ip + self.ihl])))

    def resize(self, extra):
        """Append `extra` bytes of padding to the IP packet, with the IPv4 and UDP lengths following."""
        self.b += bytes(extra)
        total = struct.unpack("!H", self.b[self.ip + 2:self.ip + 4])[0] + extra
        self.b[self.ip + 2:self.ip + 4] = struct.pack("!H", total)
        if self.proto == 17:
            self.b[self.l4 + 4:self.l4 + 6] = struct.pack("!H", total - self.ihl)
            self.b[self.l4 + 6:self.l4 + 8] = b"\0\0"  # no UDP checksum (allowed over IPv4)
        self.fix_ip()

    def zero_udp_checksum(self):
        if self.proto == 17:
            self.b[self.l4 + 6:self.l4 + 8] = b"\0\0"


def xor_nonzero(rng, value, forbidden):
    """A byte XOR mask m != 0 such that value ^ m lands in `forbidden` (a predicate), chosen by rng."""
    masks = [m for m in range(1, 256) if forbidden(value ^ m)]
    return rng.choice(masks)


# ---------------------------------------------------------------- mutations: (frame, rng) -> detail
# Each returns a description; `cut` is set on the frame for truncations (the captured length).

def truncate_at(offset_from_payload):
    def mutate(f, rng):
        f.cut = f.payload + offset_from_payload
        return "captured length cut to %d bytes, %d bytes into the tunnel header" % (f.cut, offset_from_payload)
    return mutate


def esp_spi_reserved(f, rng):
    at = f.payload
    old = bytes(f.b[at:at + 4])
    f.b[at:at + 3] = b"\0\0\0"
    f.b[at + 3] = rng.randrange(1, 256)
    f.zero_udp_checksum()
    return "ESP SPI 0x%s -> 0x%s (1-255 reserved, RFC 4303 §2.1)" % (old.hex(), bytes(f.b[at:at + 4]).hex())


def ike_offset(f):
    return f.payload + (4 if 4500 in f.ports() else 0)  # after the non-ESP marker on 4500


def ike_version(f, rng):
    at = ike_offset(f) + 17
    old = f.b[at]
    f.b[at] ^= xor_nonzero(rng, old, lambda v: v >> 4 not in (1, 2))
    f.zero_udp_checksum()
    return "IKE version byte 0x%02x -> 0x%02x (major version must be 1 or 2)" % (old, f.b[at])


def ike_length(f, rng):
    at = ike_offset(f) + 24
    old = struct.unpack("!I", f.b[at:at + 4])[0]
    new = rng.randrange(0, 28)
    f.b[at:at + 4] = struct.pack("!I", new)
    f.zero_udp_checksum()
    return "IKE length %d -> %d (below the 28-byte header)" % (old, new)


def ike_truncated(f, rng):
    f.cut = ike_offset(f) + 12
    return "captured length cut to %d bytes, inside the IKE header" % f.cut


def wg_reserved(f, rng):
    at = f.payload + 1 + rng.randrange(3)
    old = f.b[at]
    f.b[at] ^= rng.randrange(1, 256)
    f.zero_udp_checksum()
    return "WireGuard reserved byte %d 0x%02x -> 0x%02x (must be zero)" % (at - f.payload, old, f.b[at])


def wg_type(f, rng):
    at = f.payload
    old = f.b[at]
    f.b[at] ^= xor_nonzero(rng, old, lambda v: v not in (1, 2, 3, 4))
    f.zero_udp_checksum()
    return "WireGuard type %d -> %d (types are 1-4)" % (old, f.b[at])


def wg_length(f, rng):
    extra = rng.choice([1, 3, 5, 7, 9, 11, 13, 15])
    f.resize(extra)
    return "WireGuard data message %d bytes longer (%d: not 32 + 16n)" % (extra, len(f.b) - f.payload)


def l2tp_version(f, rng):
    at = f.payload + 1
    old = f.b[at]
    f.b[at] ^= xor_nonzero(rng, old, lambda v: (v & 0x0F) not in (2, 3) and v & 0xF0 == old & 0xF0)
    f.zero_udp_checksum()
    return "L2TP version %d -> %d (2 here; 3 is L2TPv3)" % (old & 0x0F, f.b[at] & 0x0F)


def l2tp_length(f, rng):
    at = f.payload
    flags = struct.unpack("!H", f.b[at:at + 2])[0]
    assert flags & 0x4000, "L bit expected"
    old = struct.unpack("!H", f.b[at + 2:at + 4])[0]
    new = old + rng.randrange(8, 200)
    f.b[at + 2:at + 4] = struct.pack("!H", new)
    f.zero_udp_checksum()
    return "L2TP length %d -> %d (past the end of the datagram)" % (old, new)


def l2tp_control_bits(f, rng):
    at = f.payload
    old = struct.unpack("!H", f.b[at:at + 2])[0]
    new = old & ~0x4800  # T stays; L and S cleared (RFC 2661 §3.1: control messages must have both)
    f.b[at:at + 2] = struct.pack("!H", new)
    f.zero_udp_checksum()
    return "L2TP control flags 0x%04x -> 0x%04x (control message without the L and S bits)" % (old, new)


def gre_version(f, rng):
    at = f.payload + 1
    old = f.b[at]
    f.b[at] ^= xor_nonzero(rng, old, lambda v: (v & 0x07) > 1 and v & 0xF8 == old & 0xF8)
    return "GRE version %d -> %d (0: RFC 2784, 1: PPTP)" % (old & 7, f.b[at] & 7)


def gre_header_length(f):
    flags = struct.unpack("!H", f.b[f.payload:f.payload + 2])[0]
    n = 4 + (4 if flags & 0xC000 else 0) + (4 if flags & 0x2000 else 0) + (4 if flags & 0x1000 else 0)
    return n + (4 if flags & 7 == 1 and flags & 0x0080 else 0)


def gre_inner_length(f, rng):
    at = f.payload + gre_header_length(f) + (4 if f.b[f.payload + 2:f.payload + 4] == b"\x88\x0b" else 0)
    old = struct.unpack("!H", f.b[at + 2:at + 4])[0]
    new = rng.randrange(1, 20)
    f.b[at + 2:at + 4] = struct.pack("!H", new)
    return "inner IPv4 total length %d -> %d (below its 20-byte header)" % (old, new)


def pptp_payload_length(f, rng):
    at = f.payload + 4
    old = struct.unpack("!H", f.b[at:at + 2])[0]
    new = old + rng.randrange(16, 400)
    f.b[at:at + 2] = struct.pack("!H", new)
    return "enhanced GRE payload length %d -> %d (past the end of the packet)" % (old, new)


def pptp_magic(f, rng):
    at = f.payload + 4
    old = bytes(f.b[at:at + 4])
    f.b[at + rng.randrange(4)] ^= rng.randrange(1, 256)
    f.b[f.l4 + 16:f.l4 + 18] = b"\0\0"
    pseudo = bytes(f.b[f.ip + 12:f.ip + 20]) + struct.pack("!BBH", 0, 6, len(f.b) - f.l4)
    f.b[f.l4 + 16:f.l4 + 18] = struct.pack("!H", checksum(pseudo + bytes(f.b[f.l4:])))
    return "PPTP magic cookie 0x%s -> 0x%s (must be 0x1a2b3c4d)" % (old.hex(), bytes(f.b[at:at + 4]).hex())


# ---------------------------------------------------------------- per capture: which frames, which mutations

def is_esp_in_udp(f):
    return f.proto == 17 and 4500 in f.ports() and len(f.b) > f.payload + 8 and f.b[f.payload:f.payload + 4] != b"\0\0\0\0"


def is_ike(f):
    return f.proto == 17 and (500 in f.ports() or (4500 in f.ports() and f.b[f.payload:f.payload + 4] == b"\0\0\0\0"))


def is_wg_data(f):
    return f.proto == 17 and f.b[f.payload] == 4


def is_l2tp_data(f):
    return f.proto == 17 and 1701 in f.ports() and f.b[f.payload] & 0x80 == 0


def is_l2tp_control(f):
    return f.proto == 17 and 1701 in f.ports() and f.b[f.payload] & 0x80 and len(f.b) > f.payload + 12


def is_gre_ip(f):
    return f.proto == 47 and f.b[f.payload + 2:f.payload + 4] == b"\x08\x00"


def is_pptp_data(f):
    return f.proto == 47 and f.b[f.payload + 2:f.payload + 4] == b"\x88\x0b" and f.b[f.payload + 1] & 7 == 1 \
        and f.b[f.payload + gre_header_length(f) + 2:f.payload + gre_header_length(f) + 4] == b"\x00\x21"


def is_esp(f):
    return f.proto == 50


PLANS = {
    # capture: (good frames to start with, [(mutation, which frames it applies to, mutate, a good frame follows)]),
    # in the order the picks appear in the capture
    "ipsec-natt.pcap": (2, [("ike-truncated", is_ike, ike_truncated, False),
                            ("esp-truncated", is_esp_in_udp, truncate_at(5), True),
                            ("esp-flipped", is_esp_in_udp, esp_spi_reserved, True),
                            ("ike-flipped", is_ike, ike_version, False),
                            ("ike-length", is_ike, ike_length, False)]),
    "ipsec-esp.pcap": (2, [("ike-length", is_ike, ike_length, False),
                           ("esp-truncated", is_esp, truncate_at(6), True),
                           ("esp-flipped", is_esp, esp_spi_reserved, True),
                           ("ike-truncated", is_ike, ike_truncated, False)]),
    "wireguard.pcap": (4, [("wg-truncated", is_wg_data, truncate_at(10), True),
                           ("wg-flipped", is_wg_data, wg_reserved, True),
                           ("wg-type-flipped", is_wg_data, wg_type, True),
                           ("wg-length", is_wg_data, wg_length, True)]),
    "l2tp.pcap": (4, [("l2tp-control-flipped", is_l2tp_control, l2tp_control_bits, True),
                      ("l2tp-truncated", is_l2tp_data, truncate_at(3), True),
                      ("l2tp-flipped", is_l2tp_data, l2tp_version, True),
                      ("l2tp-length", is_l2tp_data, l2tp_length, True)]),
    "gre.pcap": (4, [("gre-truncated", is_gre_ip, truncate_at(2), True),
                     ("gre-flipped", is_gre_ip, gre_version, True),
                     ("gre-length", is_gre_ip, gre_inner_length, True)]),
    "pptp.pcap": (5, [("pptp-flipped", lambda f: f.proto == 6 and len(f.b) > f.payload + 8, pptp_magic, True),
                      ("pptp-gre-truncated", is_pptp_data, truncate_at(9), True),
                      ("pptp-gre-flipped", is_pptp_data, gre_version, True),
                      ("pptp-gre-length", is_pptp_data, pptp_payload_length, True)]),
}


def build(name, lead, steps, rng):
    header, recs = records(os.path.join(HERE, name))
    frames = [Frame(r[2]) if struct.unpack("!H", r[2][12:14])[0] == 0x0800 else None for r in recs]
    ip_frames = [i for i, f in enumerate(frames) if f is not None]
    plan = [(i, None) for i in ip_frames[:lead]]
    last = plan[-1][0]
    for mutation, applies, mutate, follow in steps:
        # Picks move forward through the capture; among many data packets a seeded one from the
        # next stretch, so later steps still find theirs.
        candidates = [i for i in ip_frames if i > last and applies(frames[i])]
        pick = candidates[0] if len(candidates) < 40 else rng.choice(candidates[:len(candidates) // 4])
        plan.append((pick, (mutation, mutate)))
        last = pick
        if follow:
            last = next(i for i in ip_frames if i > pick and frames[i].proto == frames[pick].proto)
            plan.append((last, None))
    out = bytearray(header)
    manifest = []
    for n, (index, change) in enumerate(plan, start=1):
        sec, usec, data, length = recs[index]
        entry = {"frame": n, "sourceFrame": index + 1, "mutation": None}
        if change:
            f = Frame(data)
            f.cut = None
            entry["mutation"] = change[0]
            entry["detail"] = change[1](f, rng)
            data = bytes(f.b[:f.cut]) if f.cut else bytes(f.b)
            length = length if f.cut else len(data)
        out += struct.pack("<IIII", sec, usec, len(data), length) + data
        manifest.append(entry)
    stem = name[:-len(".pcap")]
    os.makedirs(os.path.join(HERE, "malformed"), exist_ok=True)
    open(os.path.join(HERE, "malformed", stem + "-malformed.pcap"), "wb").write(out)
    with open(os.path.join(HERE, "malformed", stem + "-malformed.json"), "w") as f:
        json.dump({"source": name, "seed": SEED, "frames": manifest}, f, indent=1)
        f.write("\n")


def main():
    for name, (lead, steps) in PLANS.items():
        build(name, lead, steps, random.Random("%d:%s" % (SEED, name)))


if __name__ == "__main__":
    main()
