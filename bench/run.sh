#!/usr/bin/env bash
# make bench: callpath against a bare libpcap loop and tshark, in one run, on one generated file.
# The machine is shared and noisy: compare the ratios, taken within interleaved rounds (below).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${BENCH_PACKETS:-2000000}
RUNS=${BENCH_RUNS:-7}
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

# The machine is shared and noisy, and its speed drifts over seconds: each round times the bare
# loop (the goals' reference: plain libpcap), the same loop reading as callpath does (its 64 KiB
# stdio buffer: how much of callpath's time is reading), `conversations`, `packets`, and `packets`
# with a filter that leaves no line to render (how much of its time is rendering) back to back,
# and ratios are taken within a round, so a slow phase slows them all alike. Reported: best and
# median wall time, median CPU time (user + system; `packets` runs on two threads, so its CPU time
# exceeds its wall time), peak RSS, the median and best of the per-round ratios to the bare loop,
# and the steal time the kernel counted during the command's runs (the hypervisor running
# something else on the VM's cores: a slow round with none was slowed otherwise).
TICKS=$(getconf CLK_TCK)
steal_ticks() { awk '/^cpu /{print $9}' /proc/stat; }
# time_one NAME CMD...: appends "wall cpu rss_kib steal_s" to $OUT/NAME.times
time_one() {
  local name=$1; shift
  local steal_before; steal_before=$(steal_ticks)
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" > /dev/null 2>&1 || true
  awk -v steal="$(( $(steal_ticks) - steal_before ))" -v ticks="$TICKS" \
    '{printf "%s %.2f %s %.2f\n", $1, $2 + $3, $4, steal / ticks}' "$OUT/time.txt" >> "$OUT/$name.times"
}

echo "capture: $CAPTURE ($(du -h "$CAPTURE" | cut -f1), $PACKETS packets), $RUNS interleaved rounds"
rm -f "$OUT"/*.times
for _ in $(seq "$RUNS"); do
  time_one bare "$OUT/bare-loop" "$CAPTURE"
  time_one reading "$OUT/bare-loop" "$CAPTURE" --as-callpath
  time_one conversations "$CALLPATH" conversations --format json "$CAPTURE"
  time_one packets "$CALLPATH" packets --format json "$CAPTURE"
  # Every stage but rendering: the capture has no PPTP, so the filter drops every line unrendered.
  time_one unrendered "$CALLPATH" packets --format json --protocol pptp "$CAPTURE"
done
time_one tshark-conv tshark -n -r "$CAPTURE" -q -z conv,udp -z conv,tcp
time_one tshark-summary tshark -n -r "$CAPTURE"

python3 - "$OUT" <<'PY'
import statistics, sys
out = sys.argv[1]
def rows(name):
    return [tuple(float(x) for x in line.split()) for line in open(f"{out}/{name}.times")]
bare = rows("bare")
def line(label, name, paired=True):
    r = rows(name)
    walls = [w for w, _, _, _ in r]
    cpu = statistics.median(c for _, c, _, _ in r)
    rss = max(m for _, _, m, _ in r) / 1024
    steal = sum(s for _, _, _, s in r)
    if paired:  # each round against the same round's bare loop
        ratios = [w / b[0] for (w, _, _, _), b in zip(r, bare)]
    else:  # run once: against the bare loop's median
        ratios = [w / statistics.median(b[0] for b in bare) for w in walls]
    print(f"{label:38} {min(walls):8.2f} {statistics.median(walls):8.2f} {cpu:8.2f} {rss:8.0f} {statistics.median(ratios):8.2f}x {min(ratios):7.2f}x {steal:8.2f}")
    return statistics.median(walls), statistics.median(ratios)
print(f"{'command':38} {'best s':>8} {'median s':>8} {'CPU s':>8} {'RSS MiB':>8} {'ratio':>9} {'best':>8} {'steal s':>8}")
line("bare libpcap loop", "bare")
_, reading_ratio = line("libpcap loop reading as callpath does", "reading")
conv, conv_ratio = line("callpath conversations --format json", "conversations")
pkts, pkts_ratio = line("callpath packets --format json", "packets")
line("callpath packets, no line rendered", "unrendered")
tconv, _ = line("tshark -z conv,udp -z conv,tcp (1 run)", "tshark-conv", paired=False)
tsum, _ = line("tshark (summary lines, 1 run)", "tshark-summary", paired=False)
print(f"ratio: median over the rounds of wall time / the same round's bare loop; best: the best round; steal: all rounds")
print(f"conversations: {tconv / conv:.1f}x faster than tshark, {conv_ratio:.2f}x the bare loop (goals: >= 20x, <= 2x)")
print(f"packets: {tsum / pkts:.1f}x faster than tshark's summary, {pkts_ratio:.2f}x the bare loop (goal: <= 3x)")
print(f"reading alone, with callpath's 64 KiB stdio buffer: {reading_ratio:.2f}x the bare loop")
PY
