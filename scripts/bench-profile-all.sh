#!/usr/bin/env bash
# `scimtest run --profile all` (every profile in one run) timed against the bundled server (`scimtest
# serve`, compat mode; target ≤ 3 s) and against scim2-server (the python-scim peer; target ≤ 15 s),
# release build, median of RUNS runs; and the requests it sends next to the sum of the separate runs (one per profile)
# (one per profile). Requests are counted from the JSON report's `timings` (every exchange the run's
# client sent: discovery, checks, generated checks and cleanup; the pre-flight's few are not counted).
# Usage: scripts/bench-profile-all.sh [RUNS]   (default 3)
#   SCIM2_SERVER_START=path/to/start.sh  scim2-server's starter (default: ../shared/peers/scim2-server/start.sh)
#   NO_PEER=1                            skip scim2-server
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
. "$root/scripts/bench-common.sh"
requests() { python3 -c 'import json, sys; print(sum(t["count"] for t in json.load(open(sys.argv[1]))["timings"]))' "$1"; }

# bench URL LABEL TARGET_SECONDS
bench() {
  local url=$1 label=$2 target=$3 times=() verdict
  for i in $(seq 1 "$runs"); do
    local start end
    start=$(date +%s.%N)
    "$bin" run --url "$url" --profile all --json "$work/all.json" >"$work/all.out" 2>&1 || true
    end=$(date +%s.%N)
    times+=("$(python3 -c "print(round($end - $start, 3))")")
  done
  local sorted median all_requests separate=0 separate_time=0
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n "$(((runs + 1) / 2))p")
  all_requests=$(requests "$work/all.json")
  # The profiles `all` stood for, from the report's matrix columns.
  local profiles
  profiles=$(python3 -c 'import json, sys; print(" ".join(c["profile"] for c in json.load(open(sys.argv[1]))["matrix"]["columns"]))' "$work/all.json")
  for p in $profiles; do
    local start end
    start=$(date +%s.%N)
    "$bin" run --url "$url" --profile "$p" --json "$work/$p.json" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    separate=$((separate + $(requests "$work/$p.json")))
    separate_time=$(python3 -c "print(round($separate_time + $end - $start, 3))")
  done
  verdict=$(python3 -c 'import json, sys; m = json.load(open(sys.argv[1]))["matrix"]; print(", ".join(c["profile"] + " " + c["verdict"] for c in m["columns"]))' "$work/all.json")
  echo "$label: --profile all median ${median}s over $runs runs (min $(echo "$sorted" | head -n 1)s, max $(echo "$sorted" | tail -n 1)s); target ≤ ${target} s: $(awk -v m="$median" -v t="$target" 'BEGIN { print (m <= t) ? "met" : "MISSED" }')"
  echo "  requests: --profile all ${all_requests}; separate runs (one per profile) ${separate} in total (${separate_time}s in all)"
  echo "  matrix verdicts: $verdict"
}

port=$(free_port)
# One pre-existing user, as Okta's SPEC test needs (O-Q24); selftest seeds the same.
SCIM_TOKEN=bench-token "$bin" serve --seed-users 1 --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$port/scim/v2/ServiceProviderConfig"
export SCIM_TOKEN=bench-token
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench "http://127.0.0.1:$port/scim/v2" "bundled server (compat)" 3

if [ -z "${NO_PEER:-}" ]; then
  start_peer=${SCIM2_SERVER_START:-$root/../shared/peers/scim2-server/start.sh}
  if [ -x "$start_peer" ]; then
    peer_port=$(free_port)
    SCIM_TOKEN=peer-token "$start_peer" "$peer_port" >"$work/peer.log" 2>&1 &
    pids+=($!)
    wait_for "http://127.0.0.1:$peer_port/v2/ServiceProviderConfig"
    export SCIM_TOKEN=peer-token
    bench "http://127.0.0.1:$peer_port/v2" "scim2-server" 15
  else
    echo "scim2-server: skipped (no $start_peer; set SCIM2_SERVER_START)"
  fi
fi
