"""Runs the end-to-end suite against a running stack: the one place that knows how (its settings, the
browser's artifacts). Used by `make e2e` (run_native.py), `make smoke` and the Docker sandbox.

    python tests/e2e/suite.py --env-file .env [--label smoke] [PYTEST_ARGS...]

From the command line, the stack's address and credentials come from an env file overlaid by the
environment, as Compose reads them: nginx at PUBLIC_URL, else http://127.0.0.1:HTTP_PORT.
"""

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from devstack.settings import REPO_ROOT

ARTIFACTS = REPO_ROOT / "e2e-artifacts"


def run_suite(base_url: str, settings: Mapping[str, str], label: str, *pytest_args: str) -> int:
    """The suite through nginx at `base_url`, logged in with the stack's settings; screenshots go to
    e2e-artifacts/<backend>/, a trace of each failure to e2e-artifacts/<label>/failures/."""
    # The suite gets the stack's backend as E2E_BACKEND. pytest-django loads the admin's test settings
    # in every pytest run: a backend named in the shell (for Compose) must not reach them.
    environment = {name: value for name, value in os.environ.items() if name != "FILE_STORAGE_BACKEND"} | {
        "E2E_BASE_URL": base_url,
        "E2E_USERNAME": settings["DJANGO_SUPERUSER_USERNAME"],
        "E2E_PASSWORD": settings["DJANGO_SUPERUSER_PASSWORD"],
        "E2E_FILE_API_TOKEN": settings["FILE_API_TOKEN"],
        "E2E_BACKEND": settings.get("FILE_STORAGE_BACKEND") or "local",  # Compose's default
        "E2E_ARTIFACTS": str(ARTIFACTS),
    }
    command = [
        sys.executable, "-m", "pytest", "tests/e2e",
        "--tracing", "retain-on-failure", "--screenshot", "only-on-failure",
        "--output", str(ARTIFACTS / label / "failures"), *pytest_args,
    ]  # fmt: skip
    return subprocess.run(command, cwd=REPO_ROOT, env=environment, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env-file", type=Path, required=True, help="the stack's settings (.env)")
    parser.add_argument("--label", default="smoke", help="folder of the failure traces in e2e-artifacts/")
    args, pytest_args = parser.parse_known_args()
    if not args.env_file.is_file():
        parser.error(f"{args.env_file} does not exist (make up creates .env from .env.example)")
    settings = {k: v for k, v in dotenv_values(args.env_file).items() if v is not None}
    settings |= {key: os.environ[key] for key in settings if key in os.environ}
    base_url = settings.get("PUBLIC_URL") or f"http://127.0.0.1:{settings.get('HTTP_PORT', '8000')}"
    return run_suite(base_url, settings, args.label, *pytest_args)


if __name__ == "__main__":
    sys.exit(main())
