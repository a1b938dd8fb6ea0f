#!/usr/bin/env bash
# What one request costs the bundled server (`scimtest serve`, release build) in CPU time when a group is
# large: a group of SIZE members (default 1,000, the large-group check's), then 200 requests of each kind
# over one keep-alive connection, each timed by the server's own CPU time (/proc, clock ticks):
#   * GET /Users/{id} of a member (its `groups` is computed from the memberships);
#   * E-AM and E-RM PATCHes of one member, with `excludedAttributes=members` as Entra sends them, and one
#     answered with the whole group;
#   * DELETE of a member (it leaves the group, RFC 7644 §3.6).
# A group PATCH is linear in the group's size (the representation is parsed, patched, checked and stored
# whole); the figures show the slope. Usage: scripts/bench-groups.sh   (SIZE=1000; SCIMTEST_BIN=path)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size=${SIZE:-1000}
. "$root/scripts/bench-common.sh"

start_server
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); a group of $size members"

python3 - "$port" "$server" "$size" <<'PY'
import http.client, json, os, sys
port, pid, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": "Bearer bench-token", "Content-Type": "application/scim+json"}
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
def send(method, path, body=None):
    conn.request(method, "/scim/v2" + path, body=json.dumps(body) if body is not None else None, headers=headers)
    answer = conn.getresponse()
    data = answer.read()
    if answer.status >= 300:
        sys.exit(f"{method} {path} answered {answer.status}: {data[:200]!r}")
    return json.loads(data) if data else None
def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
extra = 200
ids = [send("POST", "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"bench-{i}"})["id"]
       for i in range(size + extra)]
group = send("POST", "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "bench"})["id"]
for k in range(0, size, 100):
    send("PATCH", f"/Groups/{group}?excludedAttributes=members",
         {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": i} for i in ids[k:k + 100]]}]})
def member_patch(op, i, query="?excludedAttributes=members"):
    send("PATCH", f"/Groups/{group}{query}",
         {"schemas": [PATCH_OP], "Operations": [{"op": op, "path": "members", "value": [{"value": ids[size + i]}]}]})
def measure(label, request, n=extra):
    before = cpu_seconds()
    for i in range(n):
        request(i)
    print(f"  {label:<52} {1e6 * (cpu_seconds() - before) / n:>8,.0f} µs of server CPU per request")
measure("GET /Users/{id} of a member", lambda i: send("GET", f"/Users/{ids[i]}"))
measure("E-AM PATCH add one member, members excluded", lambda i: member_patch("Add", i))
measure("E-RM PATCH remove one member, members excluded", lambda i: member_patch("Remove", i))
measure("PATCH add one member, the whole group answered", lambda i: member_patch("Add", i, ""))
measure("DELETE /Users/{id} of a member", lambda i: send("DELETE", f"/Users/{ids[i]}"))
PY
