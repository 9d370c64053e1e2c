"""APP_ENV: production refuses the admin's public (.env.example) and short secrets, naming them; development
accepts them and says so at the start."""

import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.app_env import (
    DEVELOPMENT,
    DEVELOPMENT_BANNER,
    DEVELOPMENT_SECRETS,
    MIN_SECRET_LENGTH,
    PRODUCTION,
    SECRETS,
    refuse_public_secrets,
)

ADMIN = Path(__file__).parents[1]
PRIVATE = {name: "p" * MIN_SECRET_LENGTH for name in SECRETS}


@pytest.mark.parametrize("name", sorted(DEVELOPMENT_SECRETS))
def test_production_refuses_each_public_secret(name: str) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        refuse_public_secrets(PRODUCTION, PRIVATE | {name: DEVELOPMENT_SECRETS[name]})

    assert f"{name} is the public development value of .env.example" in str(refused.value)
    assert DEVELOPMENT_SECRETS[name] not in str(refused.value)


@pytest.mark.parametrize("name", [name for name, length in SECRETS.items() if length])
def test_production_refuses_a_short_secret(name: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"{name} is shorter than {MIN_SECRET_LENGTH} characters"):
        refuse_public_secrets(PRODUCTION, PRIVATE | {name: "x" * (MIN_SECRET_LENGTH - 1)})


def test_production_accepts_long_private_secrets_and_a_missing_optional_one() -> None:
    refuse_public_secrets(PRODUCTION, PRIVATE | {"FILE_API_TOKEN": ""})


def test_development_accepts_the_public_secrets() -> None:
    refuse_public_secrets(DEVELOPMENT, DEVELOPMENT_SECRETS)


def test_an_unknown_app_env_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="APP_ENV='prod' is not one of: development, production"):
        refuse_public_secrets("prod", PRIVATE)


def start(environment: dict[str, str], command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ADMIN, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("app_env", [PRODUCTION, None], ids=["production", "unset"])
def test_start_exits_in_production_with_the_example_secrets(
    admin_environment: dict[str, str], app_env: str | None
) -> None:
    """The real `admin_panel/start` stops before migrating, naming each public secret; unset is production."""
    environment = {name: value for name, value in admin_environment.items() if name != "APP_ENV"}
    if app_env:
        environment["APP_ENV"] = app_env

    result = start(environment, [str(ADMIN / "start")])

    assert result.returncode != 0
    for name in DEVELOPMENT_SECRETS:
        assert f"{name} is the public development value of .env.example" in result.stderr
    assert "Operations to perform" not in result.stdout  # migrate never ran


def test_development_start_prints_the_banner(admin_environment: dict[str, str]) -> None:
    assert admin_environment["APP_ENV"] == DEVELOPMENT

    result = start(admin_environment, ["python", "manage.py", "announce_app_env"])

    assert result.returncode == 0, result.stderr
    assert DEVELOPMENT_BANNER in result.stderr
