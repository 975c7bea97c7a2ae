#!/usr/bin/env python3
"""Build <scenario>.truth.json (+ agent/tshark side files) from what the agents
and the VPN themselves reported.  Never looks at callpath's output.

usage: truth.py MANIFEST.json
MANIFEST: {"scenario", "description", "outdir",
           "captures": [{"file": "/abs/x.pcapng", "name": "x.pcapng", "point": "...", "iface": "eth0"|"ppp0"|"tun0"}],
           "calls": [{"pc1": "/abs/pc1.json", "peer": "/abs/peer.json", "peerName": "pc3",
                      "vpn": null | {"type": "sstp"|"openvpn", "mode": "full"|"split", "iface": "ppp0",
                                     "addr": "10.20.99.10", "outerLocal": "ip:port", "outerRemote": "ip:port",
                                     "upAt": epoch, "downAt": epoch|null, "log": "..."},
                      "notes": "..."}],
           "extra": {...}}
"""
import json, os, shutil, subprocess, sys


def ep(ip, port):
    return f"[{ip}]:{port}" if ":" in str(ip) else f"{ip}:{port}"


def split_ep(s):
    h, p = s.rsplit(":", 1)
    return h.strip("[]"), int(p)


def first_ts(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-c", "1", "-T", "fields", "-e", "frame.time_epoch"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return float(out)


def conv(pcap):
    return subprocess.run(["tshark", "-r", pcap, "-q", "-z", "conv,udp", "-z", "conv,tcp"],
                          capture_output=True, text=True, check=True).stdout


def confirmed(convtxt, a, b):
    for line in convtxt.splitlines():
        if f"{a} " in line + " " and f"{b} " in line + " " and "<->" in line:
            return line.strip()
    return None


def pkt_count(pcap):
    out = subprocess.run(["capinfos", "-c", "-M", pcap], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "Number of packets" in line:
            return int(line.split(":")[1].strip())
    return None


def main(path):
    m = json.load(open(path))
    scen, outdir = m["scenario"], m["outdir"]
    os.makedirs(outdir, exist_ok=True)
    agentfile = f"{scen}.agent.json"
    agents = {"scenario": scen, "calls": []}
    for i, c in enumerate(m["calls"]):
        if c.get("vpnStateFile"):
            c["vpn"] = json.load(open(c["vpnStateFile"]))
        entry = {"call": i + 1, "pc1": json.load(open(c["pc1"])) if c.get("pc1") else c.get("pc1Report"),
                 c.get("peerName", "peer"): json.load(open(c["peer"])) if c.get("peer") else None,
                 "vpnState": c.get("vpn"), "notes": c.get("notes")}
        agents["calls"].append(entry)
    agents.update(m.get("extra", {}))
    json.dump(agents, open(os.path.join(outdir, agentfile), "w"), indent=1, default=str)

    for cap in m["captures"]:
        shutil.copy(cap["file"], os.path.join(outdir, cap["name"]))
        pcap = os.path.join(outdir, cap["name"])
        os.chmod(pcap, 0o644)
        stem = cap["name"][:-len(".pcapng")]
        t0 = first_ts(pcap)
        ctxt = conv(pcap)
        open(os.path.join(outdir, f"{stem}.tshark-conv.txt"), "w").write(
            f"$ tshark -r {cap['name']} -q -z conv,udp -z conv,tcp\n" + ctxt)
        calls = []
        for i, c in enumerate(m["calls"]):
            if "calls" in cap and i not in cap["calls"]:
                continue
            if c.get("vpnStateFile"):
                c["vpn"] = json.load(open(c["vpnStateFile"]))
                c["vpn"]["type"] = c["vpn"]["vpn"]
            if c.get("manualSegments"):
                segs = []
                for seg in c["manualSegments"]:
                    seg = dict(seg)
                    seg["start"] = round(seg.pop("startEpoch") - t0, 6)
                    seg["end"] = round(seg.pop("endEpoch") - t0, 6)
                    seg["agentReport"] = agentfile
                    seg["tsharkConv"] = confirmed(ctxt, seg["media"]["local"], seg["media"]["remote"])
                    if not seg["tsharkConv"]:
                        print(f"WARNING {scen}/{cap['name']}: media tuple {seg['media']} not in tshark conv", file=sys.stderr)
                    segs.append(seg)
                calls.append({"segments": segs})
                continue
            a = json.load(open(c["pc1"]))
            peer = json.load(open(c["peer"])) if c.get("peer") else None
            sel = a.get("selectedPair")
            vpn = c.get("vpn")
            segs = []
            if sel:
                w = sel["wire"]
                lt, rt = sel["local"]["type"], sel["remote"]["type"]
                dev = None
                try:
                    dev = sel["routeGet"][0]["dev"]
                except Exception:
                    pass
                tunnel = vpn["type"] if (vpn and dev == vpn["iface"]) else None
                relay_tr = None
                if lt == "relay":
                    path = "relay"
                    relay_tr = ("tls" if "turns:" in json.dumps(a["iceServers"]) else w["transport"])
                    inner = (w["turnClientSocket"], w["turnServer"], w["transport"])
                elif rt == "relay":
                    path = "relay"
                    pw = (peer or {}).get("selectedPair", {}).get("wire", {})
                    relay_tr = pw.get("transport", "udp")
                    inner = (w["socket"], w["candidateRemote"], "udp")
                else:
                    inner = (w["socket"], w["candidateRemote"], "udp")
                    if tunnel:
                        path = "vpn"
                    elif "srflx" in (lt, rt) or "prflx" in (lt, rt):
                        path = "srflx"
                    else:
                        path = "direct"
                start = sel["selectedAt"]
                hang = [e["t"] for e in a["events"] if e["event"] == "hangup"][0]
                end = hang
                if tunnel and vpn.get("downAt") and start < vpn["downAt"] < end:
                    end = vpn["downAt"]
                if cap["iface"] != "eth0" and not tunnel:
                    calls.append({"segments": [], "notes": f"the selected pair did not use {cap['iface']}; "
                                  "this capture holds only ICE/STUN attempts through the tunnel"})
                    continue
                if tunnel and cap["iface"] == "eth0":
                    media = {"transport": "tcp", "local": vpn["outerLocal"], "remote": vpn["outerRemote"]}
                else:
                    media = {"transport": inner[2], "local": inner[0], "remote": inner[1]}
                seg = {"path": path, "tunnel": tunnel, "relayTransport": relay_tr,
                       "start": round(start - t0, 6), "end": round(end - t0, 6), "media": media}
                if tunnel and cap["iface"] == "eth0":
                    seg["innerMedia"] = {"transport": inner[2], "local": inner[0], "remote": inner[1]}
                def sp(x):
                    return {"type": x["type"], "ip": x["ip"], "port": x["port"], "protocol": x["protocol"]}
                seg["selectedPair"] = {"local": sp(sel["local"]), "remote": sp(sel["remote"])}
                seg["agentReport"] = agentfile
                line = confirmed(ctxt, media["local"], media["remote"])
                seg["tsharkConv"] = line
                if not line:
                    print(f"WARNING {scen}/{cap['name']}: media tuple {media} not in tshark conv", file=sys.stderr)
                gs = a.get("getStats", {}).values()
                seg["agentPackets"] = {"sent": sum(x.get("packetsSent", 0) for x in gs if x.get("type") == "outbound-rtp"),
                                       "received": sum(x.get("packetsReceived", 0) for x in gs if x.get("type") == "inbound-rtp"),
                                       "source": "PC1 agent getStats at hang-up (RTP)"}
                # does the peer agent use the mirror image of this pair?
                psel = (peer or {}).get("selectedPair")
                if psel:
                    pw = psel["wire"]
                    def same(c_remote, c_local):
                        # c_remote (as the other agent knows it) designates c_local (this agent's candidate)?
                        a = (c_remote["ip"], c_remote["port"])
                        return a == (c_local["ip"], c_local["port"]) or \
                            (c_remote.get("relatedAddress"), c_remote.get("relatedPort")) == (c_local["ip"], c_local["port"]) or \
                            (c_local.get("relatedAddress"), c_local.get("relatedPort")) == a and c_local["type"] == "srflx"
                    mirror = same(psel["remote"], sel["local"]) and same(sel["remote"], psel["local"])
                    seg["peerSelectedPair"] = {"local": sp(psel["local"]), "remote": sp(psel["remote"]),
                                               "egress": (psel.get("routeGet") or [{}])[0].get("dev")
                                               if isinstance(psel.get("routeGet"), list) else None}
                    seg["symmetric"] = bool(mirror)
                    if not mirror:
                        src = pw.get("socket") or pw.get("turnClientSocket")
                        dst = pw["candidateRemote"] if lt != "relay" else None
                        rl = confirmed(ctxt, src, dst) if (src and dst) else None
                        seg["reverseMedia"] = {"transport": "udp", "remote": src, "local": dst,
                                               "seenInThisCapture": bool(rl), "tsharkConv": rl}
                if c.get("recordServerReflexive"):
                    # the XOR-MAPPED-ADDRESS PC1's agent learnt from the STUN server for the selected
                    # pair's socket = its srflx candidate whose related address is that socket
                    sock = w.get("socket") or w.get("turnClientSocket")
                    srflx = [x for x in a.get("localCandidates", []) if x["type"] == "srflx" and x["component"] == 1]
                    mine = [x for x in srflx if f"{x['relatedAddress']}:{x['relatedPort']}" == sock] or srflx
                    seg["serverReflexive"] = f"{mine[0]['ip']}:{mine[0]['port']}" if mine else None
                if c.get("notes"):
                    seg["notes"] = c["notes"]
                segs.append(seg)
            else:
                segs.append({"path": None, "tunnel": None, "relayTransport": None, "start": None, "end": None,
                             "media": None, "selectedPair": None, "agentReport": agentfile,
                             "notes": "ICE failed: " + str(c.get("notes"))})
            calls.append({"segments": segs})
        truth = {"scenario": scen, "capture": cap["name"], "capturePoint": cap["point"],
                 "description": m["description"], "calls": calls,
                 "packets": pkt_count(pcap), "bytes": os.path.getsize(pcap)}
        if m.get("vpnSummary"):
            truth["vpn"] = m["vpnSummary"]
        json.dump(truth, open(os.path.join(outdir, f"{stem}.truth.json"), "w"), indent=1)
        print(f"{scen}/{cap['name']}: {truth['packets']} packets, {truth['bytes']} bytes, "
              + "; ".join(f"call{i+1}=" + ",".join(str(s['path']) for s in c['segments']) for i, c in enumerate(calls)))


if __name__ == "__main__":
    main(sys.argv[1])
