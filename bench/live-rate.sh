#!/usr/bin/env bash
# Live-capture benchmark (issue 6): replays a mixed capture onto a veth pair at rising packet
# rates with tcpreplay and reports, per rate, what `callpath live` saw and what libpcap dropped.
# Prints the highest rate with zero drops. Needs root, `ip netns` and tcpreplay; release build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "live-rate.sh: run as root (veth pair, network namespace, capture)" >&2; exit 2; }
command -v tcpreplay >/dev/null || { echo "live-rate.sh: install tcpreplay first (apt-get install tcpreplay)" >&2; exit 2; }
CALLPATH=.build/release/callpath
[ -x "$CALLPATH" ] || swift build -c release --product callpath
PACKETS=${LIVE_PACKETS:-300000}
# "top": as fast as tcpreplay can send on this machine (it shares the 2 cores with callpath).
RATES=${LIVE_RATES:-"100000 200000 300000 400000 top"}
OUT=bench/out
mkdir -p "$OUT"
CAPTURE=$OUT/live-mixed-$PACKETS.pcap
[ -f "$CAPTURE" ] || python3 bench/generate.py "$CAPTURE" "$PACKETS"

NS=callpath-bench-$$
ip netns add "$NS"
ip link add cpbA$$ type veth peer name cpbB$$
ip link set cpbB$$ netns "$NS"
ip link set cpbA$$ up
ip netns exec "$NS" ip link set cpbB$$ up
LIVE_PID=""
cleanup() {
  [ -n "$LIVE_PID" ] && kill "$LIVE_PID" 2>/dev/null || true
  ip link del cpbA$$ 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

printf "%10s %12s %10s %10s %10s %10s\n" "asked pps" "achieved pps" "sent" "seen" "dropped" "ifdrop"
best=0
for rate in $RATES; do
  "$CALLPATH" live -i cpbA$$ --buffer-size 64 ${LIVE_FLAGS:-} > "$OUT/live-rate.jsonl" 2>/dev/null &
  LIVE_PID=$!
  sleep 1
  pacing="--pps=$rate"
  [ "$rate" = "top" ] && pacing="--topspeed --preload-pcap"
  replay=$(ip netns exec "$NS" tcpreplay -i cpbB$$ $pacing "$CAPTURE" 2>&1)
  sent=$(echo "$replay" | awk '/Actual:/ {print $2; exit}')
  achieved=$(echo "$replay" | awk '/Rated:/ {for (i = 1; i <= NF; i++) if ($(i+1) ~ /^pps/) {printf "%d", $i; exit}}')
  sleep 1
  kill -INT "$LIVE_PID"; wait "$LIVE_PID" || true; LIVE_PID=""
  read -r seen dropped ifdrop < <(tail -1 "$OUT/live-rate.jsonl" | python3 -c '
import json, re, sys
summary = json.loads(sys.stdin.read())
note = next((n for n in summary["capture"]["notes"] if n.startswith("libpcap received")), "")
numbers = [int(x) for x in re.findall(r"\d+", note)]
print(summary["capture"]["packets"], numbers[1] if len(numbers) > 1 else -1, numbers[2] if len(numbers) > 2 else -1)')
  printf "%10s %12s %10s %10s %10s %10s\n" "$rate" "$achieved" "$sent" "$seen" "$dropped" "$ifdrop"
  if [ "$dropped" = "0" ] && [ "$seen" -ge "$sent" ]; then best=$achieved; fi
done
echo "highest achieved replay rate with zero drops: $best packets/s (mixed traffic, $(nproc) cores shared by tcpreplay and callpath)"
