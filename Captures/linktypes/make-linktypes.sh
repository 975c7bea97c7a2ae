#!/usr/bin/env bash
# Rebuilds Captures/linktypes/: the same real loopback traffic captured as Ethernet, Linux cooked
# v1 and v2 (tcpdump -i any), then re-encapsulated as raw IP, BSD NULL/LOOP, PPP and QinQ, each with
# tshark's conversation table beside it as ground truth; plus broken files for the error tests.
# Needs root (tcpdump), tcpdump and tshark.
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "make-linktypes.sh: run as root (tcpdump needs CAP_NET_RAW)" >&2; exit 2; }
for tool in tcpdump tshark; do command -v $tool >/dev/null || { echo "install $tool first" >&2; exit 2; }; done

capture() {  # capture NAME IFACE [LINKTYPE]: run the traffic while tcpdump writes NAME.pcap
  local name=$1 iface=$2 dlt=${3:-}
  tcpdump -i "$iface" ${dlt:+-y $dlt} -w "$name.pcap" -U 'udp or tcp' 2>/dev/null & local pid=$!
  sleep 1
  python3 traffic.py
  sleep 1
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
capture ethernet lo
capture linux-sll any LINUX_SLL
capture linux-sll2 any LINUX_SLL2
for kind in raw null loop ppp qinq; do python3 relink.py ethernet.pcap "$kind" "$kind.pcap"; done
python3 tshark-truth.py ethernet.pcap linux-sll.pcap linux-sll2.pcap raw.pcap null.pcap loop.pcap ppp.pcap qinq.pcap

# Broken inputs: cut mid-record, a text file, and a link type callpath does not decode (802.11).
head -c $(( $(stat -c %s ethernet.pcap) - 37 )) ethernet.pcap > broken-truncated.pcap
printf 'not a capture\n' > broken-not-a-capture.pcap
python3 - <<'PY'
import struct
open("broken-wifi.pcap", "wb").write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 105))
PY
ls -la
