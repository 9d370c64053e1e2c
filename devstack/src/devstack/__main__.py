"""Command line of the persistent development stack (`make dev`, `make down`...).

python -m devstack up [SERVICE...]   start in the background, wait until ready, print the URLs
python -m devstack down              stop everything this stack started
python -m devstack status            what runs (exit 3 when something is stopped)
python -m devstack logs [--no-follow] [-n LINES]
python -m devstack manage ARGS...    the admin's manage.py with the settings the stack gives the admin
python -m devstack reconcile ARGS... FileAPI's reconcile command with the settings the stack gives FileAPI
python -m devstack check-nginx       `nginx -t` and gixy on the rendered nginx configuration
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from devstack.services import AdminPanel, FileAPI, Nginx, ServiceError
from devstack.settings import SettingsError, persistent_config
from devstack.stack import Stack


def _show(stack: Stack) -> None:
    for service in stack.services:
        pid = service.pid()
        state = f"running (pid {pid})" if pid is not None else "stopped"
        print(f"  {service.name:<9} {state:<20} {service.address}")


def up(stack: Stack, args: argparse.Namespace) -> int:
    selected = stack.select(args.services)
    if all(service.pid() is not None for service in selected):
        print("The stack is already running:")
        _show(stack)
        return 0
    stack.up(args.services)
    print("The stack is up:")
    _show(stack)
    print(f"Logs: {stack.config.log_dir} (make dev-logs). Stop it with: make dev-down")
    return 0


def down(stack: Stack, args: argparse.Namespace) -> int:
    if not stack.down():
        print("The stack is not running.")
    return 0


def status(stack: Stack, args: argparse.Namespace) -> int:
    _show(stack)
    return 0 if all(service.pid() is not None for service in stack.services) else 3


def logs(stack: Stack, args: argparse.Namespace) -> int:
    files = [str(service.log) for service in stack.services if service.log.exists()]
    if not files:
        print(f"No logs yet in {stack.config.log_dir}.", file=sys.stderr)
        return 1
    follow = [] if args.no_follow else ["-F"]
    try:
        return subprocess.run(["tail", "-n", str(args.lines), *follow, *files], check=False).returncode
    except KeyboardInterrupt:
        return 0


def manage(stack: Stack, args: argparse.Namespace) -> int:
    admin = AdminPanel(stack.config)
    command = [sys.executable, "manage.py", *args.arguments]
    return subprocess.run(command, cwd=admin.cwd(), env=admin.environment(), check=False).returncode


def reconcile(stack: Stack, args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "file_api.reconcile", *args.arguments]
    return subprocess.run(command, env=FileAPI(stack.config).environment(), check=False).returncode


def check_nginx(stack: Stack, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        print(Nginx(stack.config).check(Path(scratch)))
        # gixy: security analysis of the rendered configuration (exit 1 on a finding). host_spoofing is
        # skipped on purpose: the template passes $http_host, because S3 signatures cover the port.
        gixy = ["gixy", "--skips", "host_spoofing", str(Path(scratch) / "nginx.conf")]
        return subprocess.run(gixy, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description="Run the development stack on 127.0.0.1.")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start in the background and wait until ready")
    up_parser.add_argument("services", nargs="*", help="only these services (default: all)")
    commands.add_parser("down", help="stop the stack")
    commands.add_parser("status", help="show what runs")
    logs_parser = commands.add_parser("logs", help="follow the log files")
    logs_parser.add_argument("--no-follow", action="store_true", help="print the last lines and exit")
    logs_parser.add_argument("-n", "--lines", type=int, default=30, help="lines per file (default 30)")
    manage_parser = commands.add_parser("manage", help="run the admin's manage.py with the stack's settings")
    manage_parser.add_argument("arguments", nargs=argparse.REMAINDER, help="e.g. check_storage")
    reconcile_parser = commands.add_parser("reconcile", help="compare FileAPI's rows with its bucket")
    reconcile_parser.add_argument("arguments", nargs=argparse.REMAINDER, help="e.g. --fix")
    commands.add_parser("check-nginx", help="nginx -t and gixy on the rendered configuration")
    args = parser.parse_args(argv)
    handler = {
        "up": up,
        "down": down,
        "status": status,
        "logs": logs,
        "manage": manage,
        "reconcile": reconcile,
        "check-nginx": check_nginx,
    }[args.command]
    try:
        return handler(Stack(persistent_config()), args)
    except (SettingsError, ServiceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
