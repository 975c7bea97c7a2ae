#!/usr/bin/env python3
"""IP-HTTPS (MS-IPHTTPS) server and client for the callpath test field.

No open implementation exists, so this is ours, after the spec's packet flow:

* TCP to the server on port 443, TLS 1.2.  As Windows 8 / Server 2012 and later
  do (`Add-NetIPHttpsCertBinding -NullEncryption`), the server offers only the
  NULL-encryption suites TLS_RSA_WITH_NULL_SHA256 (0x003B) / TLS_RSA_WITH_NULL_SHA
  (0x0002) — OpenSSL allows them at security level 0 — with an RSA certificate
  made at run time; the client offers them together with ordinary suites, so the
  NULL suite is the server's choice, visible in the ServerHello.
* The client sends the spec's HTTP request on the IP-HTTPS URL
      POST /IPHTTPS HTTP/1.1\r\nContent-Length: 18446744073709551615\r\nHost: ...\r\n\r\n
  and the server answers
      HTTP/1.1 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\nDate: ...\r\n\r\n
* From then on both directions of the TLS stream carry raw IPv6 packets back to
  back (no framing: each packet's length is 40 + its IPv6 payload length).
* The IP-HTTPS link is an IPv6 link: the client sends a Router Solicitation
  (from its link-local address to ff02::2), the server answers with a Router
  Advertisement carrying the IP-HTTPS /64 (Prefix Information, A flag) and a
  router lifetime; the client forms its address from that prefix and a random
  interface identifier (as Windows does) and installs the default IPv6 route
  via the server's link-local address.
* Each end is bridged to a TUN device (IFF_TUN, MTU 1280, raw IPv6).

Roles:
  server: iphttps.py server --listen IP --port 443 --cert C --key K --iface iphttps0
                            --prefix 2001:db8:20:97::/64 [--log F]
  client: iphttps.py client --connect IP --port 443 --url https://NAME/IPHTTPS --cafile C
                            --iface iphttps0 --state STATE.json [--log F]
The client writes its own state (address from the RA, routes, outer TCP flow,
negotiated TLS version and cipher, HTTP exchange, up/down times) to --state:
that is the VPN's ground truth.
"""
import argparse, asyncio, email.utils, fcntl, ipaddress, json, os, signal, socket, ssl, struct, subprocess, sys, time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
CONTENT_LENGTH = "18446744073709551615"   # 2^64 - 1, "never-ending" entity body
NULL_SUITES = "NULL-SHA256:NULL-SHA"
CLIENT_SUITES = NULL_SUITES + ":ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384"
ALL_ROUTERS = ipaddress.IPv6Address("ff02::2")
ALL_NODES = ipaddress.IPv6Address("ff02::1")
SERVER_LL = ipaddress.IPv6Address("fe80::1")

LOGF = None


def log(msg):
    line = f"{time.strftime('%H:%M:%S')} iphttps[{os.getpid()}] {msg}"
    print(line, file=LOGF or sys.stderr, flush=True)


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def sysctl(path, value):
    with open("/proc/sys/" + path.replace(".", "/"), "w") as f:
        f.write(str(value))


def open_tun(name, mtu=1280):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    sysctl(f"net.ipv6.conf.{name}.disable_ipv6", 0)
    sysctl(f"net.ipv6.conf.{name}.accept_ra", 0)      # router discovery is done here, on the IP-HTTPS link
    sysctl(f"net.ipv6.conf.{name}.autoconf", 0)
    sh("ip", "link", "set", name, "mtu", str(mtu), "up")
    return fd


# ---------------------------------------------------------------- ICMPv6 / ND
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp6(src, dst, body):
    """IPv6 packet (hop limit 255, as ND requires) carrying ICMPv6 `body` (checksum filled in)."""
    s, d = src.packed, dst.packed
    pseudo = s + d + struct.pack("!IxxxB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body[:2] + b"\0\0" + body[4:])) + body[4:]
    return struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + s + d + body


def router_solicitation(src):
    return icmp6(src, ALL_ROUTERS, struct.pack("!BBHI", 133, 0, 0, 0))   # no SLLA option: no link layer


def router_advertisement(dst, prefix, lifetime=1800):
    ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, lifetime, 0, 0)
    # Prefix Information: L=0 (IP-HTTPS is NBMA: the prefix is not on-link), A=1 (autonomous)
    pio = struct.pack("!BBBBIII", 3, 4, prefix.prefixlen, 0x40, 86400, 14400, 0) + prefix.network_address.packed
    mtu = struct.pack("!BBHI", 5, 1, 0, 1280)
    return icmp6(SERVER_LL, dst, ra + pio + mtu)


def parse_ipv6(pkt):
    """(src, dst, next header, payload) of one IPv6 packet."""
    return (ipaddress.IPv6Address(pkt[8:24]), ipaddress.IPv6Address(pkt[24:40]), pkt[6], pkt[40:])


async def read_ipv6(reader):
    """One IPv6 packet from the stream (packets are back to back, no framing)."""
    hdr = await reader.readexactly(40)
    if hdr[0] >> 4 != 6:
        raise ValueError(f"not an IPv6 packet on the IP-HTTPS stream: {hdr[:8].hex()}")
    plen = struct.unpack("!H", hdr[4:6])[0]
    return hdr + await reader.readexactly(plen)


def tun_reader(loop, fd):
    q = asyncio.Queue()

    def ready():
        while True:
            try:
                q.put_nowait(os.read(fd, 65535))
            except BlockingIOError:
                return
    loop.add_reader(fd, ready)
    return q


def tls_context(server, cert=None, key=None, cafile=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_TICKET
    if server:
        ctx.set_ciphers(NULL_SUITES + ":@SECLEVEL=0")
        ctx.load_cert_chain(cert, key)
    else:
        ctx.set_ciphers(CLIENT_SUITES + ":@SECLEVEL=0")
        ctx.load_verify_locations(cafile)   # the client checks the server certificate (name in the URL)
    return ctx


# ---------------------------------------------------------------- server
async def server_main(a):
    prefix = ipaddress.IPv6Network(a.prefix)
    fd = open_tun(a.iface)
    sh("ip", "-6", "addr", "add", f"{SERVER_LL}/64", "dev", a.iface, "nodad")
    sh("ip", "-6", "addr", "add", f"{prefix.network_address + 1}/{prefix.prefixlen}", "dev", a.iface, "nodad")
    sysctl("net.ipv6.conf.all.forwarding", 1)
    loop = asyncio.get_running_loop()
    tunq = tun_reader(loop, fd)
    clients = {}   # client IPv6 address -> writer (the server's neighbour cache for the NBMA link)

    async def tun_to_clients():
        while True:
            pkt = await tunq.get()
            if len(pkt) < 40 or pkt[0] >> 4 != 6:
                continue
            w = clients.get(ipaddress.IPv6Address(pkt[24:40]))
            if w and not w.is_closing():
                w.write(pkt)

    async def handle(reader, writer):
        peer = writer.get_extra_info("peername")
        sslobj = writer.get_extra_info("ssl_object")
        log(f"TLS from {peer}: {sslobj.version()} {sslobj.cipher()}")
        try:
            req = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        except Exception as e:
            log(f"no HTTP request from {peer}: {e!r}")
            writer.close()
            return
        lines = req.split("\r\n")
        hdrs = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        if lines[0] != "POST /IPHTTPS HTTP/1.1" or hdrs.get("content-length") != CONTENT_LENGTH:
            log(f"rejecting {lines[0]!r} {hdrs}")
            writer.write(b"HTTP/1.1 404 Not Found\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        log(f"{lines[0]} Host={hdrs.get('host')} from {peer}")
        writer.write(("HTTP/1.1 200 OK\r\nServer: Microsoft-HTTPAPI/2.0\r\n"
                      f"Date: {email.utils.formatdate(usegmt=True)}\r\n\r\n").encode())
        mine = set()
        try:
            while True:
                pkt = await read_ipv6(reader)
                src, dst, nh, pl = parse_ipv6(pkt)
                if not src.is_link_local and not src.is_unspecified and src in prefix and src not in mine:
                    mine.add(src)
                    clients[src] = writer
                    log(f"client address {src} via {peer}")
                if nh == 58 and pl and pl[0] == 133 and dst == ALL_ROUTERS:
                    log(f"Router Solicitation from {src}; advertising {prefix}")
                    writer.write(router_advertisement(src if src.is_link_local else ALL_NODES, prefix))
                    continue
                if dst.is_multicast or dst.is_link_local:
                    continue      # link-scope traffic stays on the IP-HTTPS link
                os.write(fd, pkt)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError) as e:
            log(f"{peer} closed: {e!r}")
        except ValueError as e:
            log(f"{peer}: {e}")
        for s in mine:
            clients.pop(s, None)
        writer.close()

    srv = await asyncio.start_server(handle, a.listen, a.port, ssl=tls_context(True, a.cert, a.key))
    log(f"listening on {a.listen}:{a.port}, prefix {prefix}, {a.iface}, suites {NULL_SUITES}")
    asyncio.ensure_future(tun_to_clients())
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    srv.close()


# ---------------------------------------------------------------- client
async def client_main(a):
    state = {"vpn": "iphttps", "client": "callpath testbed iphttps.py (MS-IPHTTPS client)", "server": a.connect,
             "url": a.url, "mode": "full", "iface": a.iface, "up": False, "events": []}
    loop = asyncio.get_running_loop()

    def ev(name, **kw):
        state["events"].append(dict(t=time.time(), event=name, **kw))
        log(f"{name} {kw if kw else ''}")

    def save():
        tmp = a.state + ".tmp"
        json.dump(state, open(tmp, "w"), indent=1)
        os.rename(tmp, a.state)

    host = a.url.split("//", 1)[1].split("/", 1)[0].split(":")[0]
    path = "/" + a.url.split("//", 1)[1].split("/", 1)[1]
    sock = socket.create_connection((a.connect, a.port), timeout=10)
    sock.setblocking(False)
    reader, writer = await asyncio.open_connection(sock=sock, ssl=tls_context(False, cafile=a.cafile),
                                                   server_hostname=host)
    sslobj = writer.get_extra_info("ssl_object")
    local, remote = writer.get_extra_info("sockname"), writer.get_extra_info("peername")
    ev("tls", version=sslobj.version(), cipher=sslobj.cipher()[0], bits=sslobj.cipher()[2])
    req = f"POST {path} HTTP/1.1\r\nContent-Length: {CONTENT_LENGTH}\r\nHost: {host}\r\n\r\n"
    writer.write(req.encode())
    resp = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    ev("http", request=req, response=resp)
    if not resp.startswith("HTTP/1.1 200"):
        raise SystemExit(f"IP-HTTPS server refused: {resp.splitlines()[0]}")

    fd = open_tun(a.iface)
    iid = os.urandom(8)
    ll = ipaddress.IPv6Address(b"\xfe\x80" + b"\0" * 6 + iid)
    sh("ip", "-6", "addr", "add", f"{ll}/64", "dev", a.iface, "nodad")
    tunq = tun_reader(loop, fd)
    writer.write(router_solicitation(ll))
    ev("routerSolicitation", src=str(ll))
    addr = None
    while addr is None:
        pkt = await asyncio.wait_for(read_ipv6(reader), 10)
        src, dst, nh, pl = parse_ipv6(pkt)
        if nh != 58 or not pl or pl[0] != 134:
            continue
        lifetime = struct.unpack("!H", pl[6:8])[0]
        opts, i = pl[16:], 0
        while i + 8 <= len(opts) and opts[i + 1]:
            t, ln = opts[i], opts[i + 1] * 8
            if t == 3:
                plen, flags = opts[i + 2], opts[i + 3]
                pfx = ipaddress.IPv6Network((ipaddress.IPv6Address(opts[i + 16:i + 32]), plen))
                if flags & 0x40 and plen == 64:
                    addr = ipaddress.IPv6Address(pfx.network_address.packed[:8] + iid)
            i += ln
        ev("routerAdvertisement", src=str(src), routerLifetime=lifetime, prefix=str(pfx), addr=str(addr))
        router = src
    # the address from the RA; the IP-HTTPS link is NBMA, so the /64 is reached via the router as well
    sh("ip", "-6", "addr", "add", f"{addr}/128", "dev", a.iface, "nodad")
    sh("ip", "-6", "route", "add", str(pfx), "via", str(router), "dev", a.iface)
    if lifetime:
        sh("ip", "-6", "route", "add", "default", "via", str(router), "dev", a.iface)
    for r in a.route:
        sh("ip", "-6", "route", "replace", r, "via", str(router), "dev", a.iface)
    state.update({"up": True, "upAt": time.time(), "addr": str(addr), "prefixlen": 64, "prefix": str(pfx),
                  "router": str(router), "outerLocal": f"{local[0]}:{local[1]}",
                  "outerRemote": f"{remote[0]}:{remote[1]}", "tlsVersion": sslobj.version(),
                  "tlsCipher": sslobj.cipher()[0],
                  "routeTable": sh("ip", "-6", "route") + sh("ip", "-4", "route")})
    save()

    async def tun_to_tls():
        while True:
            pkt = await tunq.get()
            if len(pkt) >= 40 and pkt[0] >> 4 == 6:
                writer.write(pkt)

    async def tls_to_tun():
        while True:
            pkt = await read_ipv6(reader)
            os.write(fd, pkt)

    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    tasks = [asyncio.ensure_future(tun_to_tls()), asyncio.ensure_future(tls_to_tun()),
             asyncio.ensure_future(stop.wait())]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t in done:
        if t.exception():
            ev("streamError", error=repr(t.exception()))
    writer.close()
    state.update({"up": False, "downAt": time.time()})
    ev("down")
    save()
    os._exit(0)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    s = sub.add_parser("server")
    s.add_argument("--listen", required=True)
    s.add_argument("--port", type=int, default=443)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--iface", default="iphttps0")
    s.add_argument("--prefix", required=True)
    s.add_argument("--log")
    c = sub.add_parser("client")
    c.add_argument("--connect", required=True)
    c.add_argument("--port", type=int, default=443)
    c.add_argument("--url", required=True)
    c.add_argument("--cafile", required=True)
    c.add_argument("--iface", default="iphttps0")
    c.add_argument("--state", required=True)
    c.add_argument("--route", action="append", default=[], help="extra IPv6 prefix routed into the tunnel")
    c.add_argument("--log")
    args = p.parse_args()
    if args.log:
        LOGF = open(args.log, "a")
    asyncio.run(server_main(args) if args.role == "server" else client_main(args))
