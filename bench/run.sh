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

# best_of CMD...: prints the best wall time in seconds, the CPU time (user + system) and the peak
# RSS in MiB of that run. `packets` runs on three threads, so its CPU time can exceed its wall time.
best_of() {
  local best="" rss="" cpu=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" > /dev/null 2>&1 || true
    local t u s m
    read -r t u s m < "$OUT/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; cpu=$(awk "BEGIN{printf \"%.2f\", $u + $s}"); fi
  done
  echo "$best $cpu $((rss / 1024))"
}

echo "capture: $CAPTURE ($(du -h "$CAPTURE" | cut -f1), $PACKETS packets), best of $RUNS runs"
read -r bare bare_cpu bare_mb < <(best_of "$OUT/bare-loop" "$CAPTURE")
read -r conv conv_cpu conv_mb < <(best_of "$CALLPATH" conversations --format json "$CAPTURE")
read -r pkts pkts_cpu pkts_mb < <(best_of "$CALLPATH" packets --format json "$CAPTURE")
read -r tsh tsh_cpu tsh_mb < <(RUNS=1 best_of tshark -n -r "$CAPTURE" -q -z conv,udp -z conv,tcp)
read -r tshp tshp_cpu tshp_mb < <(RUNS=1 best_of tshark -n -r "$CAPTURE")

ratio() { awk "BEGIN{printf \"%.2fx\", $1/$bare}"; }
row() { printf "%-36s %9s %8s %8s %9s\n" "$@"; }
row "command" "wall (s)" "CPU (s)" "RSS MiB" "ratio"
row "bare libpcap loop" "$bare" "$bare_cpu" "$bare_mb" "1.00x"
row "callpath conversations --format json" "$conv" "$conv_cpu" "$conv_mb" "$(ratio "$conv")"
row "callpath packets --format json" "$pkts" "$pkts_cpu" "$pkts_mb" "$(ratio "$pkts")"
row "tshark -z conv,udp -z conv,tcp" "$tsh" "$tsh_cpu" "$tsh_mb" "$(ratio "$tsh")"
row "tshark (summary lines)" "$tshp" "$tshp_cpu" "$tshp_mb" "$(ratio "$tshp")"
echo "conversations: $(awk "BEGIN{printf \"%.1f\", $tsh/$conv}")x faster than tshark, $(ratio "$conv") the bare loop (goals: >= 20x, <= 2x)"
echo "packets: $(awk "BEGIN{printf \"%.1f\", $tshp/$pkts}")x faster than tshark's summary, $(ratio "$pkts") the bare loop (goal: <= 3x)"
