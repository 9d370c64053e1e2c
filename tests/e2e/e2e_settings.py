"""Where the e2e suite finds the running system: all from the environment, so the same suite runs
against the stack without Docker (`make e2e`) and against Compose (`make smoke`)."""

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

# Chromium as root in a container, with no network but the stack's: the flags of ../shared/ENVIRONMENT.md.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class E2ESettings:
    base_url: str
    username: str
    password: str
    file_api_token: str
    backend: str  # the admin's FILE_STORAGE_BACKEND
    artifacts: Path
    docs_screenshots: Path | None  # set by `make screenshots`: the pictures of the README and tutorials
    big_file_mib: int
    chromium: str
    # The command that drives the Compose stack under test (`docker compose`, or the sandbox's); only the
    # tests marked `compose` use it.
    compose_command: list[str]
    # `make up`'s pull step against the engine under test, with the project's files only
    make_up_pull_command: list[str]

    @classmethod
    def from_environment(cls) -> "E2ESettings":
        def required(name: str) -> str:
            value = os.environ.get(name)
            if not value:
                raise RuntimeError(f"set {name}: the e2e suite tests a running stack (make e2e, make smoke)")
            return value

        return cls(
            base_url=required("E2E_BASE_URL").rstrip("/"),
            username=required("E2E_USERNAME"),
            password=required("E2E_PASSWORD"),
            file_api_token=required("E2E_FILE_API_TOKEN"),
            backend=required("E2E_BACKEND"),
            artifacts=Path(os.environ.get("E2E_ARTIFACTS", "e2e-artifacts")),
            docs_screenshots=Path(docs) if (docs := os.environ.get("E2E_DOCS_SCREENSHOTS")) else None,
            big_file_mib=int(os.environ.get("E2E_BIG_FILE_MIB", "200")),
            chromium=os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"),
            compose_command=shlex.split(os.environ.get("E2E_COMPOSE", "")),
            make_up_pull_command=shlex.split(os.environ.get("E2E_MAKE_UP_PULL", "")),
        )
