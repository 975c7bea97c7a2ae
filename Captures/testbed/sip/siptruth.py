#!/usr/bin/env python3
"""Build the manifest for the SIP/SBC scenario from what PC1 itself did: the
STUN/TURN results it put into its SDP offer, the SBC's SDP answer, and the
times sipp logged for ACK (media starts) and BYE (media ends).  sipp does no
ICE: the media pair is the SDP default address pair (offer c=/m= = PC1's srflx
candidate, answer c=/m= = the SBC's host candidate)."""
import json, re, sys, datetime


def blocks(path):
    txt = open(path, errors="replace").read()
    parts = re.split(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\n", txt, flags=re.M)
    out = []
    for i in range(1, len(parts), 2):
        ts = datetime.datetime.strptime(parts[i], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
        out.append((ts, parts[i + 1]))
    return out


def sdp_of(msg):
    body = msg.split("\n\n", 1)[1] if "\n\n" in msg else ""
    return [l.strip() for l in body.splitlines() if l.strip()]


scen, sw, outdir, cap = sys.argv[1:5]
cands = json.load(open(f"{sw}/pc1-candidates.json"))
uac = blocks(f"{sw}/uac-messages.log")
sent = [(t, b) for t, b in uac if "message sent" in b.splitlines()[0]]
recv = [(t, b) for t, b in uac if "message received" in b.splitlines()[0]]
body = lambda b: b.split("\n", 1)[1]
invite = [body(b) for t, b in sent if body(b).lstrip().startswith("INVITE")][0]
ok = [body(b) for t, b in recv if body(b).lstrip().startswith("SIP/2.0 200") and "INVITE" in body(b)][0]
ack_t = [t for t, b in sent if body(b).lstrip().startswith("ACK")][0]
bye_t = [t for t, b in sent if body(b).lstrip().startswith("BYE")][0]
offer, answer = sdp_of(invite), sdp_of(ok)


def conn(sdp):
    c = [l for l in sdp if l.startswith("c=")][0].split()[-1]
    m = int([l for l in sdp if l.startswith("m=audio")][0].split()[1])
    return c, m


oc, om = conn(offer)
ac, am = conn(answer)
host_ip, host_port = cands["host"]
srflx_ip, srflx_port = cands["srflx"]
assert (oc, om) == (srflx_ip, srflx_port), (oc, om, cands)
seg = {"path": "srflx", "tunnel": None, "relayTransport": None,
       "startEpoch": ack_t, "endEpoch": bye_t,
       "media": {"transport": "udp", "local": f"{host_ip}:{host_port}", "remote": f"{ac}:{am}"},
       "selectedPair": {"local": {"type": "srflx", "ip": srflx_ip, "port": srflx_port, "protocol": "udp"},
                        "remote": {"type": "host", "ip": ac, "port": am, "protocol": "udp"}},
       "notes": "SIP over UDP 5060 (plaintext) PC1 -> SBC 192.0.2.130; no ICE checks (sipp): media uses the SDP default "
                "addresses, i.e. PC1's server-reflexive candidate (learnt by STUN from the RTP port, home NAT) and the SBC's "
                "host candidate; start = ACK sent, end = BYE sent (sipp's message log)."}
report = {"pc1Candidates": cands, "sdpOffer": offer, "sdpAnswer": answer, "ackSentAt": ack_t, "byeSentAt": bye_t,
          "sippUacMessages": open(f"{sw}/uac-messages.log", errors="replace").read(),
          "sippUasMessages": open(f"{sw}/uas-messages.log", errors="replace").read()}
m = {"scenario": scen, "outdir": outdir,
     "description": "A SIP call as at the study's SBC: PC1 (home, behind NAT) sends a plaintext SIP INVITE (UDP 5060) to an SBC "
                    "in the cloud (192.0.2.130, sipp UAS). The SDP offer carries a=ice-ufrag/pwd, a=rtcp-mux and a=candidate "
                    "lines host/srflx/relay whose srflx and relay addresses are real (STUN binding and a live TURN allocation "
                    "on coturn); c=/m= is the srflx address. The SBC answers with its host candidate; both sides stream G.711 "
                    "RTP (sipp rtp_stream) for ~5 s.",
     "captures": [{"file": f"{sw}/{scen}.pcapng", "name": f"{scen}.pcapng", "point": "pc1 LAN interface (eth0)", "iface": "eth0"}],
     "calls": [{"pc1Report": report, "manualSegments": [seg], "notes": "sipp call"}]}
json.dump(m, open(f"{sw}/manifest.json", "w"), indent=1)
