"""Small helpers shared by the devstack tests."""

from __future__ import annotations

import subprocess


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on, according to `ss`."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        if f"pid={pid}," in line:
            host, port = line.split()[3].rsplit(":", 1)
            found.add((host, int(port)))
    return found
