#!/usr/bin/env bash
# Writes <capture>.tshark-rtp.txt beside every test-field capture: tshark's RTP stream analysis
# (`-z rtp,streams`, heuristic RTP on), the ground truth for callpath's per-stream packets and losses.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "tshark-rtp-streams.sh: install tshark first" >&2; exit 2; }
for capture in */*.pcapng; do
  out="${capture%.pcapng}.tshark-rtp.txt"
  { echo "\$ tshark -r $(basename "$capture") -o rtp.heuristic_rtp:TRUE -q -z rtp,streams"
    tshark -r "$capture" -o rtp.heuristic_rtp:TRUE -q -z rtp,streams 2>/dev/null; } > "$out"
done
