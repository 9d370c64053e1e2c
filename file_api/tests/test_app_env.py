"""APP_ENV: production refuses FileAPI's public (.env.example) and short secrets, naming them; development
accepts them and says so in the log."""

import subprocess
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from devstack.services import FileAPI
from devstack.settings import StackConfig
from file_api.app_env import DEVELOPMENT_BANNER, DEVELOPMENT_SECRETS, MIN_SECRET_LENGTH
from file_api.config import Settings

PRIVATE = {field: "p" * MIN_SECRET_LENGTH for field in DEVELOPMENT_SECRETS}


@pytest.mark.parametrize("field", sorted(DEVELOPMENT_SECRETS))
def test_production_refuses_each_public_secret(
    file_api_settings: Callable[..., Settings], field: str
) -> None:
    public = PRIVATE | {field: DEVELOPMENT_SECRETS[field]}

    with pytest.raises(ValidationError) as refused:
        file_api_settings(app_env="production", **public)

    message = str(refused.value)
    assert f"{field.upper()} is the public development value of .env.example" in message
    assert DEVELOPMENT_SECRETS[field] not in message  # the error names the variable, never the value


# FILE_API_URL_SIGNING_KEY's length is checked whatever APP_ENV says (test_signed_links.py).
@pytest.mark.parametrize("field", ["file_api_token", "file_api_db_password", "file_api_s3_secret_key"])
def test_production_refuses_a_short_secret(file_api_settings: Callable[..., Settings], field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field.upper()} is shorter than {MIN_SECRET_LENGTH}"):
        file_api_settings(app_env="production", **PRIVATE | {field: "x" * (MIN_SECRET_LENGTH - 1)})


def test_production_accepts_long_private_secrets(file_api_settings: Callable[..., Settings]) -> None:
    settings = file_api_settings(app_env="production", **PRIVATE)

    assert settings.app_env == "production"
    assert settings.file_api_token.get_secret_value() == PRIVATE["file_api_token"]


def test_production_is_the_default(
    file_api_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)  # the admin's test settings set it in this process
    values = file_api_settings().model_dump()
    del values["app_env"]

    with pytest.raises(ValidationError, match="APP_ENV=production refuses public or weak secrets"):
        Settings(**values)


def test_development_accepts_the_public_secrets(file_api_settings: Callable[..., Settings]) -> None:
    settings = file_api_settings(app_env="development")

    assert settings.file_api_token.get_secret_value() == DEVELOPMENT_SECRETS["file_api_token"]


def test_start_exits_in_production_with_the_example_secrets(stack_config: StackConfig) -> None:
    """The real `file_api/start` stops before serving, naming every public secret."""
    file_api = FileAPI(stack_config)
    result = subprocess.run(
        file_api.command(),
        cwd=file_api.cwd(),
        env=file_api.environment() | {"APP_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    for field in DEVELOPMENT_SECRETS:
        assert f"{field.upper()} is the public development value of .env.example" in result.stderr


def test_development_start_logs_the_banner(file_api_server: FileAPI) -> None:
    assert file_api_server.environment()["APP_ENV"] == "development"

    assert DEVELOPMENT_BANNER in file_api_server.log.read_text()
