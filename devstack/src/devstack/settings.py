"""Settings of the local stack: where they come from, and the helpers that read them.

Two flavours share one shape (`StackConfig`):
- persistent (`make dev`): `.env` (created from `.env.example` when missing) overlaid by the environment,
  state kept in `<repo>/.dev` (or `DEV_STATE_DIR`);
- throwaway (tests): the `.env.example` defaults with every port replaced by a free one and the state in a
  fresh temporary directory, so tests never collide with a running `make dev` or the developer's `.env`.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values


def _find_repo_root() -> Path:
    # The package is installed editable from the workspace, so the repo is an ancestor of this file.
    for parent in Path(__file__).resolve().parents:
        if (parent / ".env.example").is_file():
            return parent
    return Path.cwd()


REPO_ROOT = _find_repo_root()
ENV_EXAMPLE = REPO_ROOT / ".env.example"
HOST = "127.0.0.1"


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which one and what to do."""


@dataclass(frozen=True)
class StackConfig:
    """Everything a service needs to know: the settings, where its state lives, and the flavour."""

    env: Mapping[str, str]
    state_dir: Path
    throwaway: bool

    def get(self, name: str) -> str:
        value = self.env.get(name, "")
        if not value:
            raise SettingsError(f"{name} is not set; add it to .env (see .env.example)")
        return value

    def port(self, name: str) -> int:
        value = self.get(name)
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise SettingsError(f"{name}={value} is not a valid port number")
        return int(value)

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def public_url(self) -> str:
        """What a browser opens: nginx, in front of everything, as in Compose."""
        return f"http://{HOST}:{self.port('HTTP_PORT')}"

    @property
    def admin_static_root(self) -> Path:
        return self.state_dir / "admin" / "static"

    @property
    def admin_media_root(self) -> Path:
        return self.state_dir / "admin" / "media"

    def application_environment(self) -> dict[str, str]:
        """What the applications (FileAPI, the admin) are started with: every setting, plus where the
        other services are, which only the stack knows (Compose sets the same names to its own hosts)."""
        return dict(self.env) | {
            "POSTGRES_HOST": HOST,
            "S3_ENDPOINT_URL": f"http://{HOST}:{self.port('S3_PORT')}",
            "S3_PUBLIC_ENDPOINT_URL": self.public_url,
            "FILE_API_URL": f"http://{HOST}:{self.port('FILE_API_PORT')}",
            "FILE_API_PUBLIC_URL": self.public_url,
        }


def _read(path: Path) -> dict[str, str]:
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def persistent_config(environ: Mapping[str, str] = os.environ) -> StackConfig:
    """Settings for `make dev`: `.env` (or DEV_ENV_FILE) overlaid by the environment."""
    env_file = Path(environ.get("DEV_ENV_FILE") or REPO_ROOT / ".env")
    if not env_file.exists():
        shutil.copyfile(ENV_EXAMPLE, env_file)
        print(
            f"Created {env_file} from {ENV_EXAMPLE.name}, with APP_ENV=development and PUBLIC secrets: "
            "fine on this machine only. Edit it to change ports and credentials.",
            file=sys.stderr,
        )
    values = _read(ENV_EXAMPLE) | _read(env_file)
    # Only known names are taken from the environment: PATH, HOME... are not settings, and a stray
    # variable must not turn into an extra database or bucket.
    values |= {key: environ[key] for key in [*values, "DEV_STATE_DIR"] if key in environ}
    state_dir = Path(values.get("DEV_STATE_DIR") or REPO_ROOT / ".dev").absolute()
    return StackConfig(values, state_dir, throwaway=False)


def throwaway_config() -> StackConfig:
    """Settings for tests: `.env.example` defaults, free ports, a new temporary state directory."""
    values = _read(ENV_EXAMPLE)
    port_names = [key for key in values if key.endswith("_PORT")]
    values |= dict(zip(port_names, map(str, free_ports(len(port_names))), strict=True))
    state_dir = Path(tempfile.mkdtemp(prefix="devstack-"))
    # mkdtemp makes it 0700; the postgres OS user must be able to reach its data dir inside.
    state_dir.chmod(0o755)
    values["DEV_STATE_DIR"] = str(state_dir)
    return StackConfig(values, state_dir, throwaway=True)


def buckets(env: Mapping[str, str]) -> list[str]:
    """The buckets to create: the value of every `*_BUCKET` setting."""
    return sorted({value for key, value in env.items() if key.endswith("_BUCKET") and value})


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 right now, all different (sockets stay open until all are picked)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        # Same option the servers use, so a port in TIME_WAIT after a stop does not count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False
