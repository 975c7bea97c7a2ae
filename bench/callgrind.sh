#!/usr/bin/env bash
# make bench-callgrind: instruction counts (valgrind callgrind) for the bare libpcap loop,
# `conversations` and `packets` on the first 200,000 packets of the bench capture. Unlike wall
# time these repeat exactly on a shared machine; `packets` is shown per thread and in total.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
PACKETS=${BENCH_PACKETS:-2000000}
CUT=$OUT/cut-200000.pcap
# valgrind 3.19 gives up on the debug info swift-crypto's BoringSSL brings: count a stripped copy.
CALLPATH=$OUT/callpath-stripped
objcopy --strip-debug .build/release/callpath "$CALLPATH"
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
[ -f "$OUT/mixed-$PACKETS.pcap" ] || python3 bench/generate.py "$OUT/mixed-$PACKETS.pcap" "$PACKETS"
[ -f "$CUT" ] || editcap -F pcap -r "$OUT/mixed-$PACKETS.pcap" "$CUT" 1-200000
cc -O2 -o "$OUT/bare-loop" bench/bare-loop.c $(pkg-config --cflags --libs libpcap)

# count NAME CMD...: total instructions over all threads, and per thread when there are several
count() {
  local name=$1; shift
  rm -f "$OUT"/cg.out*
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$OUT/cg.out" "$@" > /dev/null 2>&1
  local per total=0
  per=$(for f in "$OUT"/cg.out*; do grep -m1 '^summary:' "$f" | awk '{print $2}'; done | sort -rn)
  for n in $per; do total=$((total + n)); done
  echo "$name $total $(echo "$per" | awk '{printf "%s%.0fM", (NR>1?"+":""), $1/1e6}')"
}
read -r _ bare _ < <(count bare "$OUT/bare-loop" "$CUT")
printf "%-32s %14s %8s  %s\n" "command (200,000 packets)" "instructions" "ratio" "per thread"
printf "%-32s %14s %8s\n" "bare libpcap loop" "$bare" "1.00x"
while read -r name total threads; do
  printf "%-32s %14s %8s  %s\n" "$name" "$total" "$(awk "BEGIN{printf \"%.2fx\", $total/$bare}")" "$threads"
done < <(count "conversations --format json" "$CALLPATH" conversations --format json "$CUT" | sed 's/^conversations --format json/conversations/'
         count "packets --format json" "$CALLPATH" packets --format json "$CUT" | sed 's/^packets --format json/packets/')
