"""What the FileAPI benchmarks share: a generated film, stored through FileAPI, and how to read it back."""

import hashlib
from typing import Any

import httpx
from botocore.config import Config

from devstack.services import FileAPI, SeaweedFS

MiB = 1024**2


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
