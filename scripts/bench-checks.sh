#!/usr/bin/env bash
# What the concurrency and large-group checks (suites/rfc/concurrency.toml, large_groups.toml) add to an rfc
# run against the bundled server (`scimtest serve`), release build, declarative scenarios only: RUNS runs
# (default 3) of the whole rfc profile and RUNS runs of it with `--skip concurrency --skip large_groups`,
# alternated on one server; the median of each and their difference (target ≤ 1 s). Then one run of the two
# suites alone, with the requests per endpoint the run's timing table reports, to show where the time goes.
# Usage: scripts/bench-checks.sh   (RUNS=3; SCIMTEST_BIN=path to time another binary)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
. "$root/scripts/bench-common.sh"

start_server
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); rfc profile, --no-generated, $runs runs each"

# Seconds one `scimtest run` takes on the wall clock (its verdict is not the point: failures still time).
timed() {
  local start end
  start=$(date +%s.%N)
  SCIM_TOKEN=bench-token "$bin" run --url "$url" --profile rfc --no-generated --color never "$@" \
    >"$work/run.out" 2>&1 || true
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

with=()
without=()
for _ in $(seq 1 "$runs"); do
  with+=("$(timed)")
  without+=("$(timed --skip concurrency --skip large_groups)")
done

timed rfc::concurrency:: rfc::large_groups:: >/dev/null
cp "$work/run.out" "$work/alone.out"

python3 - "${with[*]}" "${without[*]}" "$work/alone.out" <<'PY'
import statistics, sys
with_ = [float(x) for x in sys.argv[1].split()]
without = [float(x) for x in sys.argv[2].split()]
m_with, m_without = statistics.median(with_), statistics.median(without)
print(f"rfc run with the checks:    median {m_with:.2f} s  ({', '.join(f'{x:.2f}' for x in with_)})")
print(f"rfc run without them:       median {m_without:.2f} s  ({', '.join(f'{x:.2f}' for x in without)})")
print(f"the concurrency and large-group checks add {m_with - m_without:.2f} s (target ≤ 1 s)")
lines = open(sys.argv[3]).read().splitlines()
print("the two suites alone, slowest endpoints first (the run's own timing table):")
if "response times (p50 / p95 / slowest), slowest first:" in lines:
    at = lines.index("response times (p50 / p95 / slowest), slowest first:")
    for line in lines[at + 1:]:
        if not line.startswith("  "):
            break
        print(line)
for line in lines:
    if line.startswith("test [") or line.startswith("scimtest: profile"):
        print(line)
PY
