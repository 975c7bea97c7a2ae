#!/usr/bin/env python3
"""Add/refresh one provenance row per test-field capture in Captures/README.md's
table, keeping every other line of that file."""
import glob, json, os, sys

capdir = sys.argv[1]
readme = os.path.join(capdir, "README.md")
lines = open(readme).read().splitlines() if os.path.exists(readme) else [
    "# Captures", "", "| folder | made by | what it holds |", "|---|---|---|"]
EXTRA = {".tshark-tls.txt": "tshark's confirmation of the NULL cipher suite in the ServerHello and of the inner IPv6 packets read from the TLS records",
         ".tshark-stun.txt": "tshark's decoding of the XOR-MAPPED-ADDRESS in the STUN Binding response PC1 got"}


def extra_files(truth):
    stem = truth[:-len(".truth.json")]
    return "".join(f" `{os.path.basename(stem + k)}` is {v}." for k, v in EXTRA.items() if os.path.exists(stem + k))


rows = {}
for t in sorted(glob.glob(os.path.join(capdir, "*", "*.truth.json"))):
    d = json.load(open(t))
    if "scenario" not in d or "capture" not in d:
        continue
    rel = os.path.relpath(os.path.join(os.path.dirname(t), d["capture"]), capdir)
    labels = "; ".join("call %d: %s" % (i + 1, " + ".join(
        (s["path"] or "failed") + (f" ({s['tunnel']})" if s.get("tunnel") else "") +
        (f" (TURN/{s['relayTransport']})" if s.get("relayTransport") else "") for s in c["segments"]) or "no media here")
        for i, c in enumerate(d["calls"]))
    rows[rel] = (f"| `{rel}` | `testbed/make-captures.sh {d['scenario']}` | Real traffic in the namespace test field "
                 f"(`testbed/README.md`), dumpcap on {d['capturePoint']}, {d.get('packets')} packets. Truth "
                 f"`{os.path.basename(t)}` — {labels} — " + (
                     "from PC1's SDP offer/answer (real STUN/TURN-learnt candidates) and sipp's message log"
                     if d["scenario"].startswith("sip") else
                     "from the ICE agents' selected pairs and the VPN's own state") +
                 f" (`{d['scenario']}.agent.json`); `{os.path.basename(t).replace('.truth.json', '.tshark-conv.txt')}` is tshark's "
                 f"conversation table." + extra_files(t) + " |")
out, seen, last_table = [], set(), None
for l in lines:
    key = l.split("`")[1] if l.startswith("| `") and l.count("`") >= 2 else None
    if key in rows:
        out.append(rows[key]); seen.add(key)
    else:
        out.append(l)
    if l.startswith("|"):
        last_table = len(out)
missing = [v for k, v in rows.items() if k not in seen]
if last_table is None:
    out += ["", "| folder | made by | what it holds |", "|---|---|---|"]
    last_table = len(out)
out[last_table:last_table] = missing
open(readme, "w").write("\n".join(out) + "\n")
