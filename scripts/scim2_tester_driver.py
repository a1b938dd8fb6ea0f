#!/usr/bin/env python3
"""Run scim2-tester's check_server against one SCIM endpoint and print every result.

Usage: scim2_tester_driver.py URL [--verbose] [--json FILE] [--fail-on-skip]

The bearer token is read from the SCIM_TOKEN environment variable (never from the
command line). Each result is printed as one line:

    STATUS  [ResourceType] title: reason

followed by the closing line `scim2-tester: N passed, M failed, K skipped`.
Exit status: 0 when nothing failed, 1 when a check failed (or, with
--fail-on-skip, was skipped), 2 when check_server itself could not run.

Used by scripts/scim2-tester.sh; this is our own code, only the library is scim2-tester's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
SKIPPED = {Status.SKIPPED}


def one_line(text: Any) -> str:
    """Squash a reason (which may span lines) onto one line."""
    if text is None:
        return ""
    return " ".join(str(text).split())


def printable(data: Any) -> Any:
    """A JSON-encodable view of a result's debugging data."""
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    if isinstance(data, (list, tuple)):
        return [printable(d) for d in data]
    if isinstance(data, dict):
        return {str(k): printable(v) for k, v in data.items()}
    dump = getattr(data, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json", exclude_none=True)
        except Exception:  # noqa: BLE001 - a debugging aid must not fail the run
            pass
    return repr(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")
    parser.add_argument("--verbose", "-v", action="store_true", help="print the data of every non-passing result")
    parser.add_argument("--json", metavar="FILE", help="also write every result as JSON to FILE")
    parser.add_argument("--fail-on-skip", action="store_true", help="count SKIPPED results as failures (scim2-cli does)")
    args = parser.parse_args()

    headers = {}
    token = os.environ.get("SCIM_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"

    started = time.monotonic()
    with httpx2.Client(base_url=args.url, headers=headers, timeout=30.0) as http:
        client = SyncSCIMClient(http)
        try:
            results = check_server(client, raise_exceptions=False)
        except Exception as exc:  # noqa: BLE001
            print(f"scim2-tester: check_server raised {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)
            return 2
    elapsed = time.monotonic() - started

    passed = failed = skipped = 0
    records = []
    for r in results:
        status = r.status
        if status in PASSED:
            passed += 1
        elif status in SKIPPED:
            skipped += 1
        else:
            failed += 1
        where = f"[{r.resource_type}] " if r.resource_type else ""
        reason = one_line(r.reason)
        print(f"{status.name:<8} {where}{r.title}" + (f": {reason}" if reason else ""))
        if args.verbose and status not in PASSED and r.data is not None:
            print("         data: " + one_line(json.dumps(printable(r.data), ensure_ascii=False)))
        records.append(
            {
                "status": status.name,
                "title": r.title,
                "resource_type": r.resource_type,
                "reason": r.reason,
                "tags": sorted(r.tags),
                "data": printable(r.data),
            }
        )

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"results": records, "seconds": round(elapsed, 3)}, f, indent=2, ensure_ascii=False)

    print(f"check_server took {elapsed:.2f} s for {len(results)} results")
    print(f"scim2-tester: {passed} passed, {failed} failed, {skipped} skipped")
    if failed or (args.fail_on_skip and skipped):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
