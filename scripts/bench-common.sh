# Sourced by the bench scripts: the binary to time, a scratch directory cleaned up on exit (with the
# processes started into `pids`), and helpers to pick a free port and wait for a server.
target_dir=${CARGO_TARGET_DIR:-$root/target}
# SCIMTEST_BIN=path: time that binary instead of building the release one.
bin=${SCIMTEST_BIN:-$target_dir/release/scimtest}
[ -n "${SCIMTEST_BIN:-}" ] || (cd "$root" && cargo build --release --quiet)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" # generated checks keep minimal failing inputs under ./scimtest-regressions: not in the repo
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }
# Starts `scimtest serve` (token bench-token) on a free loopback port and waits for it: sets `port`, `url`
# (its SCIM base URL) and `server` (its pid, stopped on exit).
start_server() {
  port=$(free_port)
  url="http://127.0.0.1:$port/scim/v2"
  SCIM_TOKEN=bench-token "$bin" serve --addr "127.0.0.1:$port" "$@" >"$work/serve.log" 2>&1 &
  server=$!
  pids+=("$server")
  wait_for "$url/ServiceProviderConfig"
}
