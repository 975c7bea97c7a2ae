#!/usr/bin/env python3
"""One real WebRTC endpoint (aiortc/aioice) for the callpath test field.

Runs inside a network namespace.  Signalling is a directory shared by both
agents (offer.json / answer.json files).  Sends a 440/660 Hz Opus tone for
--duration seconds after ICE connects, samples getStats every 0.5 s, and writes
its own view of the call (selected candidate pair, all candidates, checklist,
raw getStats, state timeline, on-the-wire socket addresses) to --out.
"""
import argparse, array, asyncio, fractions, json, math, os, subprocess, time

from av import AudioFrame
from aiortc import (RTCConfiguration, RTCIceServer, RTCPeerConnection,
                    RTCSessionDescription, MediaStreamTrack)
from aiortc.rtcconfiguration import RTCIceTransportPolicy


class Tone(MediaStreamTrack):
    kind = "audio"

    def __init__(self, freq):
        super().__init__()
        self.freq = freq
        self.rate = 48000
        self.samples = 960
        self.pts = 0
        self.t0 = None

    async def recv(self):
        if self.t0 is None:
            self.t0 = time.time()
        target = self.t0 + self.pts / self.rate
        wait = target - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        pcm = array.array("h", (int(9830 * math.sin(2 * math.pi * self.freq * (self.pts + i) / self.rate))
                                for i in range(self.samples)))
        frame = AudioFrame(format="s16", layout="mono", samples=self.samples)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = self.rate
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, self.rate)
        self.pts += self.samples
        return frame


def cand(c):
    if c is None:
        return None
    return {"foundation": c.foundation, "component": c.component, "protocol": c.transport.lower(),
            "priority": c.priority, "ip": c.host, "port": c.port, "type": c.type,
            "relatedAddress": c.related_address, "relatedPort": c.related_port,
            "tcpType": c.tcptype, "sdp": c.to_sdp()}


def wire_tuple(pair):
    """The 5-tuple this agent's selected pair really uses on the wire."""
    proto = pair.protocol
    lc = pair.local_candidate
    info = {"candidateLocal": f"{lc.host}:{lc.port}",
            "candidateRemote": f"{pair.remote_candidate.host}:{pair.remote_candidate.port}"}
    if lc.type == "relay":
        inner = proto.transport._TurnTransport__inner_protocol
        sock = inner.transport.get_extra_info("sockname")
        info.update({"via": "turn", "transport": "tcp" if hasattr(inner, "buffer") else "udp",
                     "turnClientSocket": f"{sock[0]}:{sock[1]}",
                     "turnServer": f"{inner.server[0]}:{inner.server[1]}",
                     "turnClass": type(inner).__name__})
    else:
        sock = proto.transport.get_extra_info("sockname")
        info.update({"via": "socket", "transport": "udp", "socket": f"{sock[0]}:{sock[1]}"})
    return info


def stats_json(report):
    out = {}
    for k, v in report.items():
        d = {}
        for kk, vv in vars(v).items():
            d[kk] = vv.isoformat() if hasattr(vv, "isoformat") else vv
        out[k] = d
    return out


def rx_count(report):
    return sum(getattr(s, "packetsReceived", 0) for s in report.values() if s.type == "inbound-rtp")


def tx_count(report):
    return sum(getattr(s, "packetsSent", 0) for s in report.values() if s.type == "outbound-rtp")


async def wait_file(path, timeout):
    t = time.time()
    while not os.path.exists(path):
        if time.time() - t > timeout:
            raise TimeoutError(path)
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.05)
    return json.load(open(path))


def write_atomic(path, obj):
    tmp = path + ".tmp"
    json.dump(obj, open(tmp, "w"))
    os.rename(tmp, path)


async def main(a):
    servers = []
    if a.stun:
        servers.append(RTCIceServer(urls=a.stun))
    if a.turn:
        servers.append(RTCIceServer(urls=a.turn, username=a.turn_user, credential=a.turn_pass))
    cfg = RTCConfiguration(iceServers=servers,
                           iceTransportPolicy=RTCIceTransportPolicy.RELAY if a.relay_only else RTCIceTransportPolicy.ALL)
    pc = RTCPeerConnection(cfg)
    ev = {"events": []}

    def mark(name, **kw):
        ev["events"].append(dict(t=time.time(), event=name, **kw))

    @pc.on("iceconnectionstatechange")
    def _():
        mark("iceConnectionState", state=pc.iceConnectionState)

    @pc.on("connectionstatechange")
    def _():
        mark("connectionState", state=pc.connectionState)

    received = {"frames": 0}

    @pc.on("track")
    def on_track(track):
        async def sink():
            try:
                while True:
                    await track.recv()
                    received["frames"] += 1
            except Exception:
                pass
        asyncio.ensure_future(sink())

    pc.addTrack(Tone(a.freq))
    sig = a.sig
    mark("start")
    if a.role == "offer":
        await pc.setLocalDescription(await pc.createOffer())
        write_atomic(os.path.join(sig, "offer.json"), {"sdp": pc.localDescription.sdp, "type": "offer"})
        mark("offerSent")
        ans = await wait_file(os.path.join(sig, "answer.json"), 60)
        await pc.setRemoteDescription(RTCSessionDescription(**ans))
    else:
        off = await wait_file(os.path.join(sig, "offer.json"), 90)
        await pc.setRemoteDescription(RTCSessionDescription(**off))
        await pc.setLocalDescription(await pc.createAnswer())
        write_atomic(os.path.join(sig, "answer.json"), {"sdp": pc.localDescription.sdp, "type": "answer"})
        mark("answerSent")

    t0 = time.time()
    while pc.iceConnectionState not in ("completed", "connected", "failed") and time.time() - t0 < a.connect_timeout:
        await asyncio.sleep(0.02)
    mark("iceResult", state=pc.iceConnectionState)
    ice = pc.getTransceivers()[0].sender.transport.transport  # RTCIceTransport
    conn = ice._connection
    result = {"agent": a.name, "role": a.role, "aiortc": __import__("aiortc").__version__,
              "aioice": __import__("aioice").__version__,
              "iceServers": [{"urls": s.urls, "username": s.username} for s in servers],
              "iceTransportPolicy": "relay" if a.relay_only else "all",
              "iceRole": "controlling" if conn.ice_controlling else "controlled",
              "localDescription": pc.localDescription.sdp,
              "remoteDescription": pc.remoteDescription.sdp if pc.remoteDescription else None}
    selected = None
    if pc.iceConnectionState in ("completed", "connected"):
        pair = conn._nominated.get(1)
        selected = {"local": cand(pair.local_candidate), "remote": cand(pair.remote_candidate),
                    "wire": wire_tuple(pair), "selectedAt": time.time()}
        w = selected["wire"]
        dst = (w.get("turnServer") or w["candidateRemote"]).rsplit(":", 1)[0]
        src = (w.get("turnClientSocket") or w["socket"]).rsplit(":", 1)[0]
        try:
            r = subprocess.run(["ip", "-j", "route", "get", dst, "from", src], capture_output=True, text=True)
            selected["routeGet"] = json.loads(r.stdout)
        except Exception as e:  # noqa
            selected["routeGet"] = str(e)
    result["selectedPair"] = selected
    if selected:
        open(os.path.join(sig, f"{a.name}.connected"), "w").write(str(selected["selectedAt"]))
    result["localCandidatesAtSelection"] = [cand(c) for c in conn.local_candidates]
    result["remoteCandidatesAtSelection"] = [cand(c) for c in conn.remote_candidates]
    result["checkListAtSelection"] = [{"local": cand(p.local_candidate), "remote": cand(p.remote_candidate),
                                       "state": p.state.name, "nominated": p.nominated} for p in conn._check_list]
    timeline = []
    end = time.time() + a.duration
    if a.stop_file:
        end = time.time() + 600
    while time.time() < end:
        if a.stop_file and os.path.exists(a.stop_file):
            break
        rep = await pc.getStats()
        timeline.append({"t": time.time(), "packetsReceived": rx_count(rep), "packetsSent": tx_count(rep),
                         "iceConnectionState": pc.iceConnectionState})
        await asyncio.sleep(0.5)
    final = await asyncio.wait_for(pc.getStats(), 5)
    mark("hangup")
    result["statsTimeline"] = timeline
    result["getStats"] = stats_json(final)
    result["framesDecoded"] = received["frames"]
    result["localCandidates"] = [cand(c) for c in conn.local_candidates]
    result["remoteCandidates"] = [cand(c) for c in conn.remote_candidates]
    result["checkList"] = [{"local": cand(p.local_candidate), "remote": cand(p.remote_candidate),
                            "state": p.state.name, "nominated": p.nominated} for p in conn._check_list]
    result.update(ev)
    json.dump(result, open(a.out, "w"), indent=1, default=str)
    try:
        await asyncio.wait_for(pc.close(), 5)
    except asyncio.TimeoutError:
        pass
    print(json.dumps({"agent": a.name, "ice": pc.iceConnectionState, "selected": selected and selected["wire"],
                      "rx": rx_count(final), "tx": tx_count(final)}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--role", choices=["offer", "answer"], required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--sig", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stun")
    p.add_argument("--turn")
    p.add_argument("--turn-user", default="teams")
    p.add_argument("--turn-pass", default="relaypass")
    p.add_argument("--relay-only", action="store_true")
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--stop-file")
    p.add_argument("--freq", type=float, default=440)
    p.add_argument("--connect-timeout", type=float, default=30)
    p.add_argument("--ca-file", help="trust this CA/self-signed cert for turns: (sets SSL_CERT_FILE)")
    args = p.parse_args()
    if args.ca_file:
        os.environ["SSL_CERT_FILE"] = args.ca_file

    async def guarded():
        try:
            await asyncio.wait_for(main(args), args.duration + 90)
        except asyncio.TimeoutError:
            json.dump({"agent": args.name, "error": "agent timed out", "selectedPair": None, "events": []},
                      open(args.out, "w"))
            print(json.dumps({"agent": args.name, "error": "timeout"}))
    asyncio.run(guarded())
