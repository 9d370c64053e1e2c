"""What FileAPI does before it serves: the schema comes from migrations, the bucket is made if missing."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config

from devstack.services import FileAPI, SeaweedFS
from file_api.config import Settings

ALEMBIC_INI = Path(__file__).parents[1] / "alembic.ini"


def test_missing_bucket_is_created_at_startup(
    file_api_settings: Callable[..., Settings], in_process_api: Any, s3_server: SeaweedFS
) -> None:
    bucket = "created-by-file-api"
    assert not s3_server.client.bucket_exists(bucket_name=bucket)

    with in_process_api(file_api_settings(file_api_bucket=bucket)) as client:
        assert s3_server.client.bucket_exists(bucket_name=bucket)
        assert client.post("/api/v1/", files={"file": ("film.mp4", b"frames")}).status_code == 201


def test_migrations_match_the_models(file_api_server: FileAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """`alembic check` fails if a model changed without a migration."""
    for name, value in file_api_server.environment().items():
        monkeypatch.setenv(name, value)

    command.check(Config(str(ALEMBIC_INI)))
