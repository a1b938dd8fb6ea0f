#!/usr/bin/env bash
# scimtest against a SCIM server we did not write: scim2-server (python-scim, from PyPI), started on a
# free loopback port by ../shared/peers/scim2-server/start.sh. Prints the run and its report; every
# failure is then judged by hand (a real deviation of that server, an RFC-permitted choice the suites
# should tolerate, or a harness error to fix). Not part of CI.
#
# Usage: scripts/interop.sh [--no-build] [-- extra `scimtest run` arguments]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
peers=${PEERS:-$root/../shared/peers}
build=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--no-build] [-- scimtest run args]" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$peers/scim2-server/start.sh" ] || { echo "error: no $peers/scim2-server/start.sh (set PEERS=DIR)" >&2; exit 2; }
if [ "$build" = 1 ]; then (cd "$root" && cargo build --release --quiet); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export SCIM_TOKEN="interop-$RANDOM$RANDOM"
log=$(mktemp)
"$peers/scim2-server/start.sh" "$port" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
url="http://127.0.0.1:$port/v2"
for _ in $(seq 1 600); do
  if curl -fsS -o /dev/null -H "Authorization: Bearer $SCIM_TOKEN" "$url/ServiceProviderConfig" 2>/dev/null; then break; fi
  if ! kill -0 $server 2>/dev/null; then echo "error: scim2-server did not start:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.2
done
# The rfc profile, then every seed app (its profile and the checks from its attribute table).
runs=("rfc")
for app in "$root"/suites/apps/*.toml; do runs+=("app:$(basename "$app" .toml)"); done
worst=0
summary=()
for run in "${runs[@]}"; do
  name=${run#app:}
  json="$root/target/interop-$name.json"
  if [ "$run" = rfc ]; then args=(--profile rfc); else args=(--app "$name"); fi
  echo "=== scimtest run ${args[*]} against scim2-server"
  set +e
  "$root/target/release/scimtest" run --url "$url" "${args[@]}" --json "$json" "${extra[@]}"
  code=$?
  set -e
  [ $code -gt $worst ] && worst=$code
  summary+=("$name: exit $code, $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); s=d['summary']; print(', '.join(f\"{k} {v['passed']}/{v['passed']+v['failed']}\" for k,v in s.items()))" "$json") — $json")
done
echo
echo "interop: scim2-server 0.8.3 at $url"
printf '  %s\n' "${summary[@]}"
exit $worst
