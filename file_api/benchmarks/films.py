"""What the FileAPI benchmarks share: their options, a throwaway stack, a generated film stored through
FileAPI, and how to read it back."""

import argparse
import dataclasses
import hashlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
from botocore.config import Config

from devstack.services import FileAPI, Nginx, Postgres, SeaweedFS, Service
from devstack.settings import StackConfig
from devstack.testing import running, throwaway

MiB = 1024**2


def parse_options(doc: str, **options: tuple[int, str]) -> argparse.Namespace:
    """The command line of a benchmark: the first line of its docstring, then integer options given as
    `name=(default, help)`, each shown with its default."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, (default, help_text) in options.items():
        parser.add_argument(f"--{name}", type=int, default=default, help=f"{help_text} (default {default})")
    return parser.parse_args()


@dataclasses.dataclass(frozen=True)
class BenchStack:
    config: StackConfig
    postgres: Postgres
    s3: SeaweedFS
    file_api: FileAPI
    nginx_if_started: Nginx | None

    @property
    def nginx(self) -> Nginx:
        if self.nginx_if_started is None:
            raise RuntimeError("this stack was started without nginx")
        return self.nginx_if_started


@contextmanager
def bench_stack(*, with_nginx: bool = False, **env: str) -> Iterator[BenchStack]:
    """A throwaway stack on 127.0.0.1: Postgres, SeaweedFS, FileAPI (its environment with `env` on top) and,
    if asked, nginx; stopped and removed on exit."""
    with throwaway() as base, ExitStack() as services:
        config = dataclasses.replace(base, env={**base.env, **env})
        postgres = services.enter_context(running(Postgres(config)))
        s3 = services.enter_context(running(SeaweedFS(config)))
        file_api = services.enter_context(running(FileAPI(config)))
        nginx = services.enter_context(running(Nginx(config))) if with_nginx else None
        yield BenchStack(config, postgres, s3, file_api, nginx)


def pid_of(service: Service) -> int:
    """The service's process id; the benchmark stops if it is not running."""
    pid = service.pid()
    if pid is None:
        raise SystemExit(f"{service.name} is not running")
    return pid


class GeneratedFilm:
    """A readable stream of `size` pseudo-random bytes, made while it is read, hashed on the way."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.sha256 = hashlib.sha256()
        self._block = hashlib.sha256(b"seed").digest() * (MiB // 32)
        self._counter = 0

    def read(self, size: int = -1) -> bytes:
        size = min(self.remaining, MiB if size < 0 else size, MiB)
        self._counter += 1
        chunk = self._counter.to_bytes(8, "big") + self._block[: max(size - 8, 0)]
        chunk = chunk[:size]
        self.remaining -= len(chunk)
        self.sha256.update(chunk)
        return chunk


def store_film(client: httpx.Client, file_api: FileAPI, film: GeneratedFilm) -> dict[str, Any]:
    """Uploads the film through the course's `POST /api/v1/`; FileAPI's answer: short_name, url, sha256."""
    response = client.post(
        f"{file_api.base_url}/api/v1/",
        headers={"Authorization": f"Bearer {file_api.token}"},
        files={"file": ("film.mkv", film, "video/x-matroska")},  # type: ignore[dict-item]
    )
    response.raise_for_status()
    stored: dict[str, Any] = response.json()
    return stored


def link_path(url: str) -> str:
    """The path and signed query of FileAPI's link, to ask of nginx or of FileAPI itself."""
    return str(httpx.URL(url).copy_with(scheme=None, host=None, port=None))


def s3_reader(s3: SeaweedFS) -> Any:
    """A boto3 client reading as FileAPI's does: no CRC computed over what arrives, which would only
    slow boto3 down against the ways it is the ceiling of."""
    return s3.boto3_client(
        config=Config(s3={"addressing_style": "path"}, response_checksum_validation="when_required")
    )
