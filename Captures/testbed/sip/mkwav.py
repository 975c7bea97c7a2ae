#!/usr/bin/env python3
"""Write an 8 kHz G.711 mu-law WAV (format 7) with a 440 Hz tone: sipp's rtp_stream input."""
import math, struct, sys

def ulaw(sample):
    BIAS, CLIP = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    if sample < 0:
        sample = -sample
    sample = min(sample, CLIP) + BIAS
    exp = 7
    mask = 0x4000
    while exp > 0 and not (sample & mask):
        exp -= 1
        mask >>= 1
    mant = (sample >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant)) & 0xFF

out, secs, freq = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
n = int(8000 * secs)
data = bytes(ulaw(int(8000 * math.sin(2 * math.pi * freq * i / 8000))) for i in range(n))
fmt = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)
body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<II", 4, n) + b"data" + struct.pack("<I", n) + data
open(out, "wb").write(b"RIFF" + struct.pack("<I", len(body)) + body)
