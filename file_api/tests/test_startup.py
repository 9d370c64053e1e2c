"""What FileAPI does before it serves: the schema comes from migrations, the bucket is made if missing, and
settings it cannot work with stop it."""

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from pydantic import ValidationError

from devstack.services import FileAPI, SeaweedFS, ServiceError
from devstack.settings import StackConfig, free_ports
from devstack.testing import running, throwaway
from file_api.config import Settings

ALEMBIC_INI = Path(__file__).parents[1] / "alembic.ini"


def test_missing_bucket_is_created_at_startup(
    file_api_settings: Callable[..., Settings], in_process_api: Any, s3_server: SeaweedFS
) -> None:
    bucket = "created-by-file-api"
    assert not s3_server.client.bucket_exists(bucket_name=bucket)

    # The stack's key of FileAPI may not create buckets (README, "An S3 key per service"): one that may.
    settings = file_api_settings(
        file_api_bucket=bucket,
        file_api_s3_access_key=s3_server.access_key,
        file_api_s3_secret_key=s3_server.secret_key,
    )
    with in_process_api(settings) as client:
        assert s3_server.client.bucket_exists(bucket_name=bucket)
        assert client.post("/api/v1/", files={"file": ("film.mp4", b"frames")}).status_code == 201


def test_a_starting_file_api_waits_for_s3_to_answer(
    file_api_settings: Callable[..., Settings], in_process_api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """`docker compose restart` starts FileAPI and S3 at once: FileAPI waits instead of exiting."""
    s3_started, stop_s3 = threading.Event(), threading.Event()
    with throwaway() as config:
        s3 = SeaweedFS(config)

        def start_s3_late() -> None:
            time.sleep(3)
            # Set as S3 starts: its provisioning (buckets, keys) may still run when FileAPI, on the root
            # key, is already served.
            s3_started.set()
            with running(s3):
                stop_s3.wait(120)

        late = threading.Thread(target=start_s3_late)
        late.start()
        try:
            settings = file_api_settings(
                s3_endpoint_url=s3.endpoint_url,
                file_api_s3_access_key=s3.access_key,  # the root key: it makes the bucket of this new S3
                file_api_s3_secret_key=s3.secret_key,
            )
            with in_process_api(settings) as client:
                assert s3_started.is_set()  # it did not start before S3 did
                assert client.post("/api/v1/", files={"file": ("film.mp4", b"frames")}).status_code == 201
        finally:
            stop_s3.set()
            late.join()

    assert "waiting for S3 to answer (S3 did not answer: EndpointConnectionError)" in caplog.text


def test_migrations_match_the_models(file_api_server: FileAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """`alembic check` fails if a model changed without a migration."""
    for name, value in file_api_server.environment().items():
        monkeypatch.setenv(name, value)

    command.check(Config(str(ALEMBIC_INI)))


@pytest.mark.parametrize("key", ["", "too-short-a-key"])
def test_signing_without_a_strong_key_refuses_to_start(
    file_api_settings: Callable[..., Settings], key: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        file_api_settings(file_api_signed_urls=True, file_api_url_signing_key=key)

    message = str(refused.value)
    assert (
        "FILE_API_SIGNED_URLS is on: set FILE_API_URL_SIGNING_KEY to a random string of at least 32"
        in message
    )
    assert "dev-file-api-token-change-me" not in message  # no setting's value, secrets included


def test_the_process_refuses_to_start_and_says_why(stack_config: StackConfig) -> None:
    port = str(free_ports(1)[0])
    unsigned = replace(
        stack_config, env={**stack_config.env, "FILE_API_PORT": port, "FILE_API_URL_SIGNING_KEY": ""}
    )

    with pytest.raises(ServiceError, match="exited with code") as refused, running(FileAPI(unsigned)):
        pass

    assert "set FILE_API_URL_SIGNING_KEY to a random string" in str(refused.value)


def test_without_signing_no_key_is_needed(file_api_settings: Callable[..., Settings]) -> None:
    settings = file_api_settings(file_api_signed_urls=False, file_api_url_signing_key="")

    assert not settings.file_api_signed_urls
