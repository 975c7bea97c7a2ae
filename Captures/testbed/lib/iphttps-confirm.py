#!/usr/bin/env python3
"""tshark's view of an IP-HTTPS capture, saved beside it as <stem>.tshark-tls.txt:
the cipher suite the server chose (ServerHello), the ServerHello as tshark -V prints it, and the
NULL-cipher TLS stream taken apart with nothing but tshark's record bytes (tls.app_data): strip the
record MAC, join the records of each direction, show the HTTP request/response, then count the
IPv6 packets back to back on the stream and the inner UDP flows they carry, against the truth's
innerMedia.  Uses tshark and the capture only (no keys, no callpath).

usage: iphttps-confirm.py CAPTURE.pcapng TRUTH.json > CAPTURE-stem.tshark-tls.txt"""
import collections, ipaddress, json, os, struct, subprocess, sys

SUITES = {0x0001: ("TLS_RSA_WITH_NULL_MD5", 16), 0x0002: ("TLS_RSA_WITH_NULL_SHA", 20),
          0x003B: ("TLS_RSA_WITH_NULL_SHA256", 32)}


def tshark(*args):
    return subprocess.run(["tshark", "-r", CAP, *args], capture_output=True, text=True, check=True).stdout


CAP, TRUTH = sys.argv[1], sys.argv[2]
truth = json.load(open(TRUTH))
seg = truth["calls"][0]["segments"][0]
outer_l, outer_r = seg["media"]["local"], seg["media"]["remote"]
inner = seg.get("innerMedia")
name = os.path.basename(CAP)
lip, lport = outer_l.rsplit(":", 1)
rip, rport = outer_r.rsplit(":", 1)
flt = f"ip.addr=={rip} && tcp.port=={rport} && tcp.port=={lport}"

print(f"# tshark's confirmation for {name} (IP-HTTPS over TLS with a NULL-encryption suite)\n")
cmd = ["-Y", "tls.handshake.type == 2", "-T", "fields", "-E", "header=y", "-e", "frame.number", "-e", "ip.src",
       "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "tls.handshake.version",
       "-e", "tls.handshake.ciphersuite"]
out = tshark(*cmd)
print(f"$ tshark -r {name} " + " ".join(a if " " not in a else f"'{a}'" for a in cmd))
print(out)
suite = None
for line in out.splitlines()[1:]:
    f = line.split("\t")
    suite = int(f[-1], 16) if f[-1].startswith("0x") else int(f[-1])
print(f"ServerHello cipher suite: 0x{suite:04X} {SUITES.get(suite, ('NOT A NULL SUITE', 0))[0]}\n")
mac = SUITES.get(suite, (None, None))[1]

out = tshark("-Y", "tls.handshake.type == 2", "-V", "-O", "tls")
keep, on = [], False
for line in out.splitlines():
    if line.startswith("Transport Layer Security"):
        on = True
    if on and ("Cipher Suite" in line or "Handshake Type" in line or "Version" in line or "Transport Layer" in line
               or "Random" == line.strip().split(":")[0] or "Session ID Length" in line or "Compression Method" in line):
        keep.append(line)
print(f"$ tshark -r {name} -Y 'tls.handshake.type == 2' -V -O tls   (TLS lines of the ServerHello)")
print("\n".join(keep) + "\n")

if mac is None:
    sys.exit(0)
cmd = ["-Y", f"tls.app_data && {flt}", "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "tls.app_data"]
out = tshark(*cmd)
streams = {"client->server": bytearray(), "server->client": bytearray()}
records = collections.Counter()
for line in out.splitlines():
    src, sport, data = line.split("\t")
    d = "client->server" if (src, sport) == (lip, lport) else "server->client"
    for rec in data.split(","):
        b = bytes.fromhex(rec.replace(":", ""))
        streams[d] += b[:-mac]          # NULL cipher: plaintext + MAC, no IV, no padding
        records[d] += 1
print(f"$ tshark -r {name} -Y 'tls.app_data && {flt}' -T fields -e ip.src -e tcp.srcport -e tls.app_data")
print(f"  -> {records['client->server']} application-data records client->server, "
      f"{records['server->client']} server->client; each = cleartext + {mac}-byte MAC\n")
flows = collections.Counter()
for d, s in streams.items():
    end = s.find(b"\r\n\r\n")
    print(f"{d} HTTP: " + json.dumps(s[:end + 4].decode("latin-1")))
    i, n, kinds = end + 4, 0, collections.Counter()
    while i + 40 <= len(s):
        if s[i] >> 4 != 6:
            print(f"  {d}: byte {i} is not an IPv6 header ({s[i:i+8].hex()}); stopping")
            break
        plen, nh = struct.unpack("!H", s[i + 4:i + 6])[0], s[i + 6]
        src, dst = ipaddress.IPv6Address(bytes(s[i + 8:i + 24])), ipaddress.IPv6Address(bytes(s[i + 24:i + 40]))
        if nh == 17 and plen >= 8:
            sp, dp = struct.unpack("!HH", s[i + 40:i + 44])
            flows[(d, f"{src}:{sp}", f"{dst}:{dp}")] += 1
            kinds["udp"] += 1
        elif nh == 58:
            kinds[f"icmpv6 type {s[i + 40]}"] += 1
        else:
            kinds[f"next header {nh}"] += 1
        i += 40 + plen
        n += 1
    print(f"  {d}: {n} IPv6 packets back to back after the HTTP header ({dict(kinds)}), {len(s) - i} bytes left over")
print("\ninner UDP flows (IPv6) carried in the TLS records:")
for (d, a, b), n in flows.most_common():
    print(f"  {d}: {a} -> {b}: {n} packets")
if inner:
    fwd = flows.get(("client->server", inner["local"], inner["remote"]), 0)
    rev = flows.get(("server->client", inner["remote"], inner["local"]), 0)
    print(f"\ntruth innerMedia {inner['local']} <-> {inner['remote']}: {fwd} packets out, {rev} packets in "
          f"inside the TLS flow {outer_l} <-> {outer_r}")
