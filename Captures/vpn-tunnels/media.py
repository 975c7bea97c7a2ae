#!/usr/bin/env python3
"""RTP-like audio both ways, as a softphone sends it: one UDP socket, 50 packets/s of 12-byte RTP
header (V=2, PT 0 PCMU, one SSRC, sequence +1, timestamp +160) and 160 bytes of payload, for a
fixed time. Run once on each end; each side writes what it sent and received as JSON on stdout
(the media's own count, for the record beside the capture).

    media.py LOCAL_IP:PORT REMOTE_IP:PORT SECONDS SSRC"""
import json
import socket
import struct
import sys
import time


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def main(local, remote, seconds, ssrc):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(endpoint(local))
    sock.setblocking(False)
    peer = endpoint(remote)
    sequence, stamp, sent, received = 1000, 0, 0, 0
    payload = bytes((i * 7) & 0xFF for i in range(160))  # a fixed, audio-sized payload
    start = time.monotonic()
    packets = int(seconds * 50)
    for n in range(packets):
        due = start + n * 0.02
        while True:
            try:
                while True:
                    sock.recv(2048)
                    received += 1
            except BlockingIOError:
                pass
            now = time.monotonic()
            if now >= due:
                break
            time.sleep(min(0.002, due - now))
        header = struct.pack("!BBHII", 0x80, 0x80 if n == 0 else 0x00, sequence & 0xFFFF, stamp, ssrc)
        try:
            sock.sendto(header + payload, peer)
            sent += 1
        except OSError:
            pass  # the tunnel may still be coming up on the other end
        sequence += 1
        stamp += 160
    deadline = time.monotonic() + 0.5  # the peer's last packets
    while time.monotonic() < deadline:
        try:
            sock.recv(2048)
            received += 1
        except BlockingIOError:
            time.sleep(0.005)
    json.dump({"local": local, "remote": remote, "ssrc": "0x%08x" % ssrc, "sent": sent, "received": received},
              sys.stdout)
    print()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4], 0))
