#!/usr/bin/env bash
# Run the independent Python harness scim2-tester 0.5.2 against `scimtest serve`.
#
#   scripts/scim2-tester.sh [--no-build] [--verbose] [--json FILE] [--fail-on-skip] [-- SERVE_ARGS...]
#
# Creates (or reuses) a virtualenv in target/scim2-tester-venv with the pinned packages of
# scripts/scim2-tester-requirements.txt (needs PyPI the first time), builds the release binary,
# starts `target/release/scimtest serve` on a free 127.0.0.1 port with a random bearer token,
# runs scripts/scim2_tester_driver.py (scim2-tester's check_server) against it, stops the
# server, and exits non-zero if any check failed. Not part of CI.
#
#   --no-build   use the existing target/release/scimtest
#   --verbose    print the debugging data of every non-passing result
#   --json FILE  also write all results as JSON
#   --fail-on-skip  count SKIPPED results as failures (as scim2-cli does)
#   -- ARGS      extra arguments for `scimtest serve` (e.g. -- --mode strict)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${SCIM2_TESTER_VENV:-$root/target/scim2-tester-venv}"
reqs="$here/scim2-tester-requirements.txt"
python="${PYTHON:-python3}"

build=1
driver_args=()
serve_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --verbose|-v) driver_args+=(--verbose) ;;
    --json) shift; driver_args+=(--json "$1") ;;
    --fail-on-skip) driver_args+=(--fail-on-skip) ;;
    --) shift; serve_args=("$@"); break ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "scim2-tester.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "scim2-tester.sh: $python is older than 3.11 (scim2-tester needs 3.11+; set PYTHON=...)" >&2; exit 2; }

# 1. The virtualenv, rebuilt only when the pinned requirements change.
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$reqs" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== creating virtualenv $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$reqs"
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -m pip freeze --disable-pip-version-check | grep -iE '^(scim2-|httpx2|pydantic==)' | tr '\n' ' '
echo

# 2. The server binary.
if [ "$build" = 1 ]; then
  echo "== cargo build --release"
  (cd "$root" && cargo build --release --quiet)
fi
bin="$root/target/release/scimtest"
[ -x "$bin" ] || { echo "scim2-tester.sh: $bin is missing (drop --no-build)" >&2; exit 2; }

# 3. Start the server on a free loopback port, with a random token (passed through the environment).
work="$(mktemp -d)"
server_pid=""
cleanup() {
  local rc=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$work/server.log" ]; then
    echo "== server log (last 20 lines)"; tail -n 20 "$work/server.log"
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
token="$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"
export SCIM_TOKEN="$token"
url="http://127.0.0.1:$port/scim/v2"
echo "== starting $bin serve --addr 127.0.0.1:$port ${serve_args[*]:-}"
"$bin" serve --addr "127.0.0.1:$port" ${serve_args[@]+"${serve_args[@]}"} >"$work/server.log" 2>&1 &
server_pid=$!

"$venv/bin/python" - "$url" "$server_pid" <<'PY'
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
req = urllib.request.Request(url + "/ServiceProviderConfig",
                             headers={"Authorization": "Bearer " + os.environ["SCIM_TOKEN"]})
deadline = time.monotonic() + 30
while True:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("scim2-tester.sh: the server exited before answering")
    try:
        with urllib.request.urlopen(req, timeout=2) as r:
            if r.status == 200:
                break
    except Exception:
        pass
    if time.monotonic() > deadline:
        sys.exit("scim2-tester.sh: the server did not answer within 30 s")
    time.sleep(0.1)
PY
echo "== server up at $url"

# 4. The harness.
echo "== scim2-tester check_server"
set +e
"$venv/bin/python" "$here/scim2_tester_driver.py" "$url" ${driver_args[@]+"${driver_args[@]}"}
rc=$?
set -e
exit "$rc"
