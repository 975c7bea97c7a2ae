#!/usr/bin/env bash
# make bench: callpath against a bare libpcap loop and tshark, in one run, on one generated file.
# Wall time is the best of several runs (the machine is shared and noisy); compare the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${BENCH_PACKETS:-2000000}
RUNS=${BENCH_RUNS:-3}
OUT=bench/out
CAPTURE=$OUT/mixed-$PACKETS.pcap
CALLPATH=.build/release/callpath
mkdir -p "$OUT"

for tool in tshark:tshark /usr/bin/time:time; do
  command -v "${tool%%:*}" >/dev/null || { echo "${tool%%:*} missing: installing ${tool#*:} with apt-get"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool#*:}" >/dev/null; }
done
[ -f "$CAPTURE" ] || { echo "generating $CAPTURE ($PACKETS packets)"; python3 bench/generate.py "$CAPTURE" "$PACKETS"; }
cc -O2 -o "$OUT/bare-loop" bench/bare-loop.c $(pkg-config --cflags --libs libpcap)
cat "$CAPTURE" > /dev/null  # warm the page cache for everyone alike

# best_of CMD...: prints the best wall time in seconds and the peak RSS in MiB of that run
best_of() {
  local best="" rss=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > /dev/null 2>&1 || true
    local t m
    read -r t m < "$OUT/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  echo "$best $((rss / 1024))"
}

echo "capture: $CAPTURE ($(du -h "$CAPTURE" | cut -f1), $PACKETS packets), best of $RUNS runs"
read -r bare bare_mb < <(best_of "$OUT/bare-loop" "$CAPTURE")
read -r conv conv_mb < <(best_of "$CALLPATH" conversations --format json "$CAPTURE")
extra=()
if "$CALLPATH" help packets >/dev/null 2>&1; then
  read -r pkts pkts_mb < <(best_of "$CALLPATH" packets --format json "$CAPTURE")
  extra+=("packets $pkts $pkts_mb")
fi
RUNS=1 read -r tsh tsh_mb < <(RUNS=1 best_of tshark -n -r "$CAPTURE" -q -z conv,udp -z conv,tcp)

printf "%-34s %9s %9s %12s\n" "command" "wall (s)" "RSS MiB" "ratio"
printf "%-34s %9s %9s %12s\n" "bare libpcap loop" "$bare" "$bare_mb" "1.00x"
printf "%-34s %9s %9s %12s\n" "callpath conversations" "$conv" "$conv_mb" "$(awk "BEGIN{printf \"%.2fx\", $conv/$bare}")"
for e in "${extra[@]}"; do
  set -- $e
  printf "%-34s %9s %9s %12s\n" "callpath packets --format json" "$2" "$3" "$(awk "BEGIN{printf \"%.2fx\", $2/$bare}")"
done
printf "%-34s %9s %9s %12s\n" "tshark -z conv,udp -z conv,tcp" "$tsh" "$tsh_mb" "$(awk "BEGIN{printf \"%.2fx\", $tsh/$bare}")"
echo "callpath conversations is $(awk "BEGIN{printf \"%.1f\", $tsh/$conv}")x faster than tshark;" \
     "$(awk "BEGIN{printf \"%.2f\", $conv/$bare}")x the bare libpcap loop (goals: >= 20x, <= 2x)"
