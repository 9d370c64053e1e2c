#!/usr/bin/env python3
"""The least-privilege check of `make lint`: every service of the Compose file, as `docker compose config
--format json` renders it (on stdin), runs with no-new-privileges, without capabilities (cap_drop ALL),
on a read-only root file system, and with memory and process limits. Exits 1 naming each service and the
key it lacks (README, "Compose: least privilege")."""

from __future__ import annotations

import json
import sys
from typing import Any


def problems(config: dict[str, Any]) -> list[str]:
    found = []
    for name, service in sorted(config["services"].items()):
        rules = {
            "security_opt: no-new-privileges:true": "no-new-privileges:true"
            in service.get("security_opt", []),
            "cap_drop: [ALL]": "ALL" in service.get("cap_drop", []),
            "read_only: true": service.get("read_only") is True,
            "mem_limit": bool(service.get("mem_limit")),
            "pids_limit": bool(service.get("pids_limit")),
        }
        found += [f"service {name}: missing {rule}" for rule, kept in rules.items() if not kept]
    return found


def main() -> int:
    found = problems(json.load(sys.stdin))
    for problem in found:
        print(f"check-compose-hardening: {problem}", file=sys.stderr)
    if found:
        return 1
    print("docker-compose.yml: every service is hardened (no-new-privileges, cap_drop, read_only, limits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
