#!/usr/bin/env bash
# How long a full run takes: `scimtest selftest` (core self-check + every suite against the bundled
# server) timed over N runs of the release build. Prints min/median/max wall time and the scenario count.
# Usage: scripts/bench-run.sh [RUNS]   (default 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
(cd "$root" && cargo build --release --quiet)
bin="$root/target/release/scimtest"
times=()
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  out=$("$bin" selftest 2>/dev/null)
  end=$(date +%s.%N)
  times+=("$(python3 -c "print(round($end - $start, 3))")")
  last=$(echo "$out" | tail -n 1)
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
min=$(echo "$sorted" | head -n 1); max=$(echo "$sorted" | tail -n 1)
median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
echo "full run (scimtest selftest, release, $(nproc) cores): min ${min}s, median ${median}s, max ${max}s over $runs runs"
echo "last run: $last"
awk -v m="$median" 'BEGIN { exit !(m <= 5.0) }' && echo "target met: median ≤ 5 s" || { echo "target missed: median > 5 s"; exit 1; }
