#!/usr/bin/env bash
# `scimtest load` against the bundled server (`scimtest serve`), release build: how fast the load generator
# goes and how fast the server answers Entra's sync cycle. One unpaced run (`--rate 0`) of SECS seconds
# (default 5) with CONC workers (default 16), then from the JSON report and /proc:
#   * requests/s on the wall clock (generator and server sharing this machine's cores);
#   * the generator's requests per CPU-second (target ≥ 5,000: it is never the bottleneck);
#   * the server's requests per CPU-second on the Entra mix (its target, ≥ 20,000 requests/s, is measured
#     on the server alone by `cargo bench --bench server`).
# Requests per CPU-second is what one core sustains, free of the other process's share of the machine.
# The cleanup's DELETEs and listings are in both CPU times, so they are counted with the requests.
# Usage: scripts/bench-load.sh   (SECS=5 CONC=16; SCIMTEST_BIN=path to time another binary)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${SECS:-5}
conc=${CONC:-16}
. "$root/scripts/bench-common.sh"

ticks=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_server
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); unpaced, ${secs} s, ${conc} workers"

server_before=$(cpu "$server")
# The generator's own CPU time: its children's ticks as the shell reports them (`times`) after it ends.
SCIM_TOKEN=bench-token CI=1 bash -c '"$@" >/dev/null; times' _ "$bin" load --url "http://127.0.0.1:$port/scim/v2" \
  --rate 0 --duration "$secs" --concurrency "$conc" --json "$work/load.json" >"$work/times" 2>"$work/load.err" || true
server_after=$(cpu "$server")

python3 - "$work/load.json" "$work/times" "$server_before" "$server_after" "$ticks" <<'PY'
import json, re, sys
report = json.load(open(sys.argv[1]))
# `times`: the shell's own line, then its children's: "0m1.234s 0m0.567s".
children = open(sys.argv[2]).read().split("\n")[1]
user, system = (float(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", children))
generator_cpu = user + system
server_cpu = (int(sys.argv[4]) - int(sys.argv[3])) / int(sys.argv[5])
cycle = report["requests"]
# The probe, the cleanup's DELETEs, and its sweep and verification listings (two each).
total = cycle + 1 + report["cleanup"]["deleted"] + 4
print(f"cycle: {cycle} requests in {report['elapsed_secs']:.2f} s = {report['achieved_rps']:.0f} requests/s on the wall clock "
      f"({report['failures']} failed); cleanup: {report['cleanup']['deleted']} DELETEs")
for op in report["operations"]:
    print(f"  {op['operation']:<32} {op['requests']:>7}  p50 {op['p50_ms']:.2f} ms  p99 {op['p99_ms']:.2f} ms")
print(f"generator: {total} requests in {generator_cpu:.2f} CPU-s = {total / generator_cpu:,.0f} requests per CPU-second (target ≥ 5,000)")
print(f"server:    {total} requests in {server_cpu:.2f} CPU-s = {total / server_cpu:,.0f} requests per CPU-second of the Entra mix")
PY
