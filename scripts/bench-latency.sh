#!/usr/bin/env bash
# `scimtest run --profile all` against a remote-like endpoint: the bundled server (`scimtest serve`,
# compat mode) behind scripts/delay_proxy.py, which holds every answer back DELAY ms (default 50). Timed at
# each concurrency (default 4 and 16), release build, one run each. Prints the requests sent (counted by
# the proxy), the measured wall time and the target 1.5 × requests ÷ concurrency × DELAY.
# Usage: scripts/bench-latency.sh [CONCURRENCY...]   (default: 4 16)
#   DELAY_MS=50  the added latency per answer
#   RUN_ARGS=""  more arguments for `scimtest run` (e.g. "--cases 100" for a quicker look)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
delay=${DELAY_MS:-50}
levels=("$@")
[ ${#levels[@]} -gt 0 ] || levels=(4 16)
. "$root/scripts/bench-common.sh"

server_port=$(free_port)
# One pre-existing user, as Okta's SPEC test needs (O-Q24).
SCIM_TOKEN=bench-token "$bin" serve --seed-users 1 --addr "127.0.0.1:$server_port" >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$server_port/scim/v2/ServiceProviderConfig"
proxy_port=$(free_port)
python3 "$root/scripts/delay_proxy.py" "$proxy_port" "$server_port" "$delay" >"$work/proxy.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$proxy_port/__count"
count() { curl -s "http://127.0.0.1:$proxy_port/__count"; }
export SCIM_TOKEN=bench-token
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); +${delay} ms per answer"
for c in "${levels[@]}"; do
  before=$(count)
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$bin" run --url "http://127.0.0.1:$proxy_port/scim/v2" --profile all --concurrency "$c" \
    --json "$work/all-$c.json" ${RUN_ARGS:-} >"$work/run-$c.out" 2>&1 || true
  end=$(date +%s.%N)
  sent=$(($(count) - before))
  python3 - "$start" "$end" "$sent" "$c" "$delay" "$work/all-$c.json" <<'EOF'
import json, sys
start, end, sent, c, delay, report = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
wall = end - start
target = 1.5 * sent / c * delay / 1000
slowest = []
try:
    results = json.load(open(report))["results"]
    slowest = sorted(results, key=lambda r: -r["duration_ms"])[:3]
except (OSError, ValueError, KeyError):
    pass
print(f"--concurrency {c}: {sent} requests in {wall:.1f} s; target 1.5 × {sent} ÷ {c} × {delay:g} ms = {target:.1f} s: "
      + ("met" if wall <= target else "MISSED"))
for r in slowest:
    print(f"  slowest check: {r['name']} {r['duration_ms'] / 1000:.1f} s")
EOF
done
