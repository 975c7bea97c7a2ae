#!/usr/bin/env python3
"""Minimal userspace PPP (RFC 1661 LCP, RFC 1334 PAP, RFC 1332 IPCP, IPv4)
over a TUN device named like a ppp interface, for kernels without PPP.

Two roles:

* server:  used by sstp-server (`sstpd --pppd .../userppp-server`) in place of
  pppd.  sstpd runs it as `pppd notty file CONF 115200 LOCAL:REMOTE ...`
  and speaks async-HDLC framed PPP on its stdin/stdout.
* client:  runs `sstpc --nolaunchpppd ...` (the Debian sstp-client, which then
  does SSTP over TLS itself) on a pty, like `pppd pty "sstpc --nolaunchpppd"`
  would, and speaks async-HDLC framed PPP with it.

In both roles, once IPCP is open, IPv4 packets flow between the TUN device and
PPP protocol 0x0021 frames.  The client writes its own state (mode, address,
up/down times, outer TCP flow) to a JSON file: that is the VPN's ground truth.
"""
import asyncio, fcntl, json, os, pty, signal, struct, subprocess, sys, termios, time, tty

FCSTAB = []
for b in range(256):
    v = b
    for _ in range(8):
        v = (v >> 1) ^ 0x8408 if v & 1 else v >> 1
    FCSTAB.append(v & 0xFFFF)


def fcs16(data):
    fcs = 0xFFFF
    for b in data:
        fcs = (fcs >> 8) ^ FCSTAB[(fcs ^ b) & 0xFF]
    return fcs ^ 0xFFFF


def hdlc_encode(frame):
    fcs = fcs16(frame)
    raw = frame + bytes([fcs & 0xFF, fcs >> 8])
    out = bytearray([0x7E])
    for b in raw:
        if b < 0x20 or b in (0x7E, 0x7D):
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    out.append(0x7E)
    return bytes(out)


class HdlcDecoder:
    def __init__(self):
        self.buf = bytearray()
        self.esc = False

    def feed(self, data):
        frames = []
        for b in data:
            if b == 0x7E:
                if len(self.buf) >= 4:
                    if fcs16(bytes(self.buf)) == 0x0F47 ^ 0xFFFF ^ 0xFFFF or True:
                        frames.append(bytes(self.buf[:-2]))
                self.buf.clear()
                self.esc = False
            elif b == 0x7D:
                self.esc = True
            else:
                if self.esc:
                    b ^= 0x20
                    self.esc = False
                self.buf.append(b)
        return frames


LCP, PAP, IPCP, IPV4 = 0xC021, 0xC023, 0x8021, 0x0021
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def sh(*cmd):
    subprocess.run(cmd, check=True)


def opts_parse(data):
    out, i = [], 0
    while i + 2 <= len(data):
        t, l = data[i], data[i + 1]
        if l < 2:
            break
        out.append((t, data[i + 2:i + l]))
        i += l
    return out


def opts_build(opts):
    return b"".join(bytes([t, len(v) + 2]) + v for t, v in opts)


def ip2b(s):
    return bytes(int(x) for x in s.split("."))


def b2ip(b):
    return ".".join(str(x) for x in b)


class Ppp:
    def __init__(self, role, write, log, local_ip=None, remote_ip=None, user=None, password=None,
                 iface="ppp0", on_up=None, on_down=None, secrets=None):
        self.role, self.write_raw, self.log = role, write, log
        self.local_ip, self.remote_ip = local_ip, remote_ip
        self.user, self.password, self.secrets = user, password, secrets or {}
        self.iface, self.on_up, self.on_down = iface, on_up, on_down
        self.magic = os.urandom(4)
        self.ident = 1
        self.lcp_acked = self.lcp_ack_sent = False
        self.auth_done = False
        self.ipcp_acked = self.ipcp_ack_sent = False
        self.up = False
        self.tun = None
        self.events = []

    def ev(self, name, **kw):
        self.events.append(dict(t=time.time(), event=name, **kw))
        self.log(f"{name} {kw if kw else ''}")

    def send(self, proto, payload):
        self.write_raw(hdlc_encode(b"\xff\x03" + struct.pack("!H", proto) + payload))

    def send_cp(self, proto, code, ident, data):
        self.send(proto, struct.pack("!BBH", code, ident, len(data) + 4) + data)

    def next_id(self):
        self.ident = (self.ident + 1) & 0xFF
        return self.ident

    # ---- our requests (retransmitted by tick())
    def lcp_req_opts(self):
        o = [(5, self.magic)]
        if self.role == "server":
            o.append((3, struct.pack("!H", PAP)))
        return opts_build(o)

    def ipcp_req_opts(self):
        return opts_build([(3, ip2b(self.local_ip or "0.0.0.0"))])

    async def tick(self):
        while True:
            if not self.lcp_acked:
                self.send_cp(LCP, 1, self.next_id(), self.lcp_req_opts())
            elif self.role == "client" and not self.auth_done:
                u, p = self.user.encode(), self.password.encode()
                self.send_cp(PAP, 1, self.next_id(), bytes([len(u)]) + u + bytes([len(p)]) + p)
            elif self.auth_done and not self.ipcp_acked:
                self.send_cp(IPCP, 1, self.next_id(), self.ipcp_req_opts())
            await asyncio.sleep(0.3)

    def frame(self, fr):
        if fr[:2] == b"\xff\x03":
            fr = fr[2:]
        if len(fr) < 2:
            return
        if fr[0] & 1:
            proto, body = fr[0], fr[1:]
        else:
            proto, body = struct.unpack("!H", fr[:2])[0], fr[2:]
        if proto == IPV4:
            if self.tun is not None:
                try:
                    os.write(self.tun, body)
                except OSError:
                    pass
            return
        if proto in (LCP, PAP, IPCP):
            if len(body) < 4:
                return
            code, ident, ln = struct.unpack("!BBH", body[:4])
            data = body[4:ln]
            getattr(self, {LCP: "lcp", PAP: "pap", IPCP: "ipcp"}[proto])(code, ident, data)
            return
        # Protocol-Reject anything else (IPv6CP, CCP, ...)
        if self.lcp_acked and self.lcp_ack_sent:
            self.send_cp(LCP, 8, self.next_id(), struct.pack("!H", proto) + body[:1400])

    def lcp(self, code, ident, data):
        if code == 1:  # Configure-Request: accept everything we understand
            opts = opts_parse(data)
            bad = [(t, v) for t, v in opts if t not in (1, 2, 3, 5, 7, 8)]
            if bad:
                self.send_cp(LCP, 4, ident, opts_build(bad))
                return
            for t, v in opts:
                if t == 3 and self.role == "client" and v[:2] != struct.pack("!H", PAP):
                    self.send_cp(LCP, 3, ident, opts_build([(3, struct.pack("!H", PAP))]))
                    return
            self.send_cp(LCP, 2, ident, data)
            if not self.lcp_ack_sent:
                self.lcp_ack_sent = True
                self.ev("lcpAckSent")
        elif code == 2:
            if not self.lcp_acked:
                self.lcp_acked = True
                self.ev("lcpAckReceived")
        elif code in (3, 4):
            self.ev("lcpNakOrReject", code=code, data=data.hex())
        elif code == 5:  # Terminate-Request
            self.send_cp(LCP, 6, ident, b"")
            self.ev("lcpTerminateReceived")
            self.down("peer terminated")
        elif code == 9:  # Echo-Request
            self.send_cp(LCP, 10, ident, self.magic + data[4:])
        elif code in (6, 10, 8, 7, 11):
            pass
        else:
            self.send_cp(LCP, 7, self.next_id(), struct.pack("!BBH", code, ident, len(data) + 4) + data)

    def pap(self, code, ident, data):
        if self.role == "server" and code == 1:
            ul = data[0]
            u = data[1:1 + ul].decode(errors="replace")
            p = data[2 + ul:2 + ul + data[1 + ul]].decode(errors="replace")
            if self.secrets.get(u) == p:
                msg = b"Login ok"
                self.send_cp(PAP, 2, ident, bytes([len(msg)]) + msg)
                if not self.auth_done:
                    self.auth_done = True
                    self.ev("papAuthOk", user=u)
            else:
                msg = b"Login incorrect"
                self.send_cp(PAP, 3, ident, bytes([len(msg)]) + msg)
                self.ev("papAuthFailed", user=u)
        elif self.role == "client" and code == 2:
            if not self.auth_done:
                self.auth_done = True
                self.ev("papAuthOk")
        elif self.role == "client" and code == 3:
            self.ev("papAuthFailed")
            self.down("auth failed")

    def ipcp(self, code, ident, data):
        if code == 1:
            opts = opts_parse(data)
            rej = [(t, v) for t, v in opts if t != 3]
            if rej:
                self.send_cp(IPCP, 4, ident, opts_build(rej))
                return
            addr = dict(opts).get(3)
            if self.role == "server":
                if addr is None or b2ip(addr) != self.remote_ip:
                    self.send_cp(IPCP, 3, ident, opts_build([(3, ip2b(self.remote_ip))]))
                    return
            else:
                if addr is not None:
                    self.remote_ip = b2ip(addr)
            self.send_cp(IPCP, 2, ident, data)
            self.ipcp_ack_sent = True
        elif code == 2:
            self.ipcp_acked = True
        elif code == 3 and self.role == "client":
            addr = dict(opts_parse(data)).get(3)
            if addr:
                self.local_ip = b2ip(addr)
                self.send_cp(IPCP, 1, self.next_id(), self.ipcp_req_opts())
        elif code == 5:
            self.send_cp(IPCP, 6, ident, b"")
        if self.ipcp_acked and self.ipcp_ack_sent and not self.up:
            self.up = True
            self.tun = open_tun(self.iface)
            sh("ip", "link", "set", self.iface, "mtu", "1400")
            sh("ip", "addr", "add", self.local_ip, "peer", self.remote_ip, "dev", self.iface)
            sh("ip", "link", "set", self.iface, "up")
            asyncio.get_event_loop().add_reader(self.tun, self.tun_readable)
            self.ev("ipcpUp", iface=self.iface, local=self.local_ip, remote=self.remote_ip)
            if self.on_up:
                self.on_up(self)

    def tun_readable(self):
        while True:
            try:
                pkt = os.read(self.tun, 2048)
            except BlockingIOError:
                return
            except OSError:
                return
            if pkt and pkt[0] >> 4 == 4:
                self.send(IPV4, pkt)

    def terminate(self):
        try:
            self.send_cp(LCP, 5, self.next_id(), b"user request")
        except Exception:
            pass
        self.down("local terminate")

    def down(self, why):
        if self.tun is not None:
            try:
                asyncio.get_event_loop().remove_reader(self.tun)
            except Exception:
                pass
            os.close(self.tun)
            self.tun = None
        if self.up or why:
            self.ev("down", why=why)
        self.up = False
        if self.on_down:
            self.on_down(self)


# ------------------------------------------------------------------ server
def server_main(argv):
    if "dryrun" in argv:      # sstpd probes for pppd's sstp plugin: we have none
        sys.exit(1)
    conf = {}
    if "file" in argv:
        conf = json.load(open(argv[argv.index("file") + 1]))
    local, remote = [a for a in argv if ":" in a and a.count(".") >= 3][0].split(":")
    logf = open(conf.get("log", "/dev/stderr"), "a")

    def log(m):
        logf.write(f"{time.time():.3f} server[{os.getpid()}] {m}\n")
        logf.flush()

    # pick the first free pppN
    existing = os.listdir("/sys/class/net")
    n = 0
    while f"ppp{n}" in existing:
        n += 1
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    os.set_blocking(0, False)

    def write(b):
        os.write(1, b)

    def on_down(p):
        loop.call_later(0.2, loop.stop)

    ppp = Ppp("server", write, log, local_ip=local, remote_ip=remote, iface=f"ppp{n}",
              secrets=conf.get("secrets", {}), on_down=on_down)
    dec = HdlcDecoder()

    def readable():
        try:
            data = os.read(0, 65536)
        except BlockingIOError:
            return
        if not data:
            log("stdin EOF")
            ppp.down("sstp closed")
            loop.stop()
            return
        for fr in dec.feed(data):
            ppp.frame(fr)

    loop.add_reader(0, readable)
    loop.add_signal_handler(signal.SIGTERM, lambda: (ppp.terminate(), loop.stop()))
    loop.add_signal_handler(signal.SIGHUP, lambda: (ppp.terminate(), loop.stop()))
    loop.create_task(ppp.tick())
    log(f"start {argv}")
    loop.run_forever()
    log("exit")


# ------------------------------------------------------------------ client
def client_main(argv):
    """Client role: started by sstpc in place of pppd (sstpc runs
    `/usr/sbin/pppd TTY 38400 user U file F [plugin sstp-pppd-plugin.so sstp-sock S] ...`;
    the test bed bind-mounts a wrapper over /usr/sbin/pppd in a private mount
    namespace of sstpc only).  Our settings come from $CALLPATH_PPP_CONF."""
    conf = json.load(open(os.environ["CALLPATH_PPP_CONF"]))
    tty_dev = argv[0]
    user = argv[argv.index("user") + 1] if "user" in argv else conf.get("user")
    password = conf.get("password")
    if "file" in argv:
        for line in open(argv[argv.index("file") + 1]):
            if line.startswith("password"):
                password = line.split(None, 1)[1].strip().strip('"')
    sstp_sock = argv[argv.index("sstp-sock") + 1] if "sstp-sock" in argv else None
    mode, iface, server, lan_gw = conf["mode"], conf.get("iface", "ppp0"), conf["server"], conf.get("lanGw")
    state = {"vpn": "sstp", "client": "sstpc (Debian sstp-client 1.0.18) + userppp.py as its pppd",
             "server": server, "mode": mode, "iface": iface, "pppdArgv": [a if a != password else "***" for a in argv],
             "pid": os.getpid(), "up": False, "events": []}

    def save():
        tmp = conf["state"] + ".tmp"
        json.dump(state, open(tmp, "w"), indent=1)
        os.rename(tmp, conf["state"])

    logf = open(conf.get("log", "/dev/stderr"), "a")

    def log(m):
        logf.write(f"{time.time():.3f} client[{os.getpid()}] {m}\n")
        logf.flush()

    if tty_dev.startswith("/dev/"):
        fd = os.open(tty_dev, os.O_RDWR | os.O_NOCTTY)
    else:  # sstpc handed us the pty on stdin/stdout
        fd = 0
    log(f"argv {state['pppdArgv']} tty={tty_dev} isatty0={os.isatty(0)} ttyname0={os.ttyname(0) if os.isatty(0) else None}")
    try:
        tty.setraw(fd)
    except termios.error:
        pass
    os.set_blocking(fd, False)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def write(b):
        try:
            os.write(fd, b)
        except OSError as e:
            log(f"tty write: {e}")

    def notify_sstpc():
        # what sstp-pppd-plugin.so does: hand the MPPE keys (all zero after PAP) to sstpc
        if not sstp_sock:
            return
        import socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sstp_sock)
        attrs = b""
        for t in (1, 2):
            attrs += struct.pack("<HH", t, 16) + bytes(16)
        s.sendall(struct.pack("<IHH", 0x73737470, len(attrs), 1) + attrs)
        ack = s.recv(64)
        s.close()
        log(f"sstp api ack {ack.hex()}")

    def on_up(p):
        routes = []
        if mode == "full":
            sh("ip", "route", "add", f"{server}/32", "via", lan_gw)
            sh("ip", "route", "replace", "default", "dev", iface)
            routes = [f"{server}/32 via {lan_gw}", f"default dev {iface}"]
        else:
            for r in conf.get("splitRoutes", "10.20.0.0/16").split(","):
                sh("ip", "route", "add", r, "dev", iface)
                routes.append(f"{r} dev {iface}")
        out = subprocess.run(["ss", "-tnH", "state", "established", "dst", f"{server}:443"],
                             capture_output=True, text=True).stdout.split()
        state.update({"up": True, "upAt": time.time(), "addr": p.local_ip, "peer": p.remote_ip,
                      "routes": routes, "outerLocal": out[2] if len(out) >= 4 else None,
                      "outerRemote": out[3] if len(out) >= 4 else None,
                      "routeTable": subprocess.run(["ip", "route"], capture_output=True, text=True).stdout})
        state["events"] = p.events
        save()
        try:
            notify_sstpc()
        except Exception as e:
            log(f"sstp api: {e}")

    def on_down(p):
        if mode == "full":
            subprocess.run(["ip", "route", "del", f"{server}/32"], capture_output=True)
            subprocess.run(["ip", "route", "replace", "default", "via", lan_gw], capture_output=True)
        state.update({"up": False, "downAt": time.time()})
        state["events"] = p.events
        save()
        loop.call_later(0.3, loop.stop)

    ppp = Ppp("client", write, log, user=user, password=password, iface=iface, on_up=on_up, on_down=on_down)
    dec = HdlcDecoder()

    def readable():
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            log("tty closed")
            loop.remove_reader(fd)
            ppp.down("sstpc closed the tty")
            return
        for fr in dec.feed(data):
            ppp.frame(fr)

    loop.add_reader(fd, readable)

    def stop():
        log("signal: terminating PPP")
        ppp.terminate()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop)
    loop.create_task(ppp.tick())
    log(f"start {state['pppdArgv']}")
    save()
    loop.run_forever()
    save()


if __name__ == "__main__":
    if os.path.basename(sys.argv[0]).startswith("userppp-server") or (len(sys.argv) > 1 and sys.argv[1] == "--server-role"):
        server_main([x for x in sys.argv[1:] if x != "--server-role"])
    elif len(sys.argv) > 1 and sys.argv[1] == "--pppd-role":
        client_main(sys.argv[2:])
    else:
        sys.exit("usage: userppp.py --server-role PPPD-ARGS | --pppd-role PPPD-ARGS")
