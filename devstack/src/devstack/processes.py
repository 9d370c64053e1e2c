"""The processes devstack starts: their environment, waiting for them, whether they live, stopping them by
PID (never by name), and the end of their log for an error message."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import psutil


class ServiceError(Exception):
    """A service failed to start or stop; the message carries the end of its log."""


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


def pid_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0]:  # it was our child and has exited: now reaped
            return False
    try:
        # A zombie has exited; it only waits for a parent (maybe a non-reaping PID 1 in a container).
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # alive, but owned by another user
        return True


# What any process needs from its caller to run as on the caller's machine: where programs are, the user,
# the locale, the time zone and the temporary directory. Nothing that configures an application.
SYSTEM_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR")


def system_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The caller's variables a service may inherit: SYSTEM_VARIABLES and the locale's LC_*."""
    return {
        name: value for name, value in environ.items() if name in SYSTEM_VARIABLES or name.startswith("LC_")
    }


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM the process (its whole group when it leads one, as ours do), SIGKILL it if it lingers.

    Not psutil's terminate() and wait_procs(): psutil signals one process, not a group (nginx's and
    gunicorn's workers, the containerd of dockerd), and its wait takes a zombie whose parent is not us
    for alive until the timeout; pid_alive() counts it as gone."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            (os.killpg if os.getpgid(pid) == pid else os.kill)(pid, sig)
        if wait_for(lambda: not pid_alive(pid), timeout):
            return
    raise ServiceError(f"process {pid} survived SIGKILL")
