"""Where the settings come from: `.env` + environment for `make dev`, isolated values for tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from dotenv import dotenv_values

from devstack.services import AdminPanel, FileAPI
from devstack.settings import ENV_EXAMPLE, persistent_config, throwaway_config


def test_throwaway_settings_never_reuse_the_developer_ports_or_state() -> None:
    defaults = dotenv_values(ENV_EXAMPLE)
    config = throwaway_config()
    try:
        ports = {key: value for key, value in config.env.items() if key.endswith("_PORT")}
        assert ports
        assert all(value != defaults[key] for key, value in ports.items())
        assert len(set(ports.values())) == len(ports)
        assert config.throwaway
        assert config.env["DEV_STATE_DIR"] == str(config.state_dir)
        assert config.env["POSTGRES_USER"] == defaults["POSTGRES_USER"]
    finally:
        config.state_dir.rmdir()


def test_persistent_settings_create_env_and_let_the_environment_win(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / ".env"
    environ = {"DEV_ENV_FILE": str(env_file), "S3_PORT": "19000", "PATH": "/usr/bin"}
    config = persistent_config(environ)
    assert env_file.read_text() == ENV_EXAMPLE.read_text()
    assert "with APP_ENV=development and PUBLIC secrets" in capsys.readouterr().err

    env_file.write_text(env_file.read_text() + "POSTGRES_PORT=15432\nS3_PORT=29000\n")
    config = persistent_config(environ | {"DEV_STATE_DIR": str(tmp_path / "state")})
    assert config.port("POSTGRES_PORT") == 15432  # from .env
    assert config.port("S3_PORT") == 19000  # the environment wins
    assert "PATH" not in config.env  # only known names are settings
    assert config.state_dir == tmp_path / "state"
    assert not config.throwaway
    assert capsys.readouterr().out == ""


def test_file_api_and_the_admin_get_the_same_link_signing_settings() -> None:
    """The admin signs the download links FileAPI checks: the same switch, key and lifetime reach both."""
    names = ("FILE_API_SIGNED_URLS", "FILE_API_URL_SIGNING_KEY", "FILE_API_SIGNED_URL_LIFETIME")
    config = throwaway_config()
    try:
        file_api, admin = FileAPI(config).environment(), AdminPanel(config).environment()

        expected = {name: config.get(name) for name in names}
        assert {name: file_api[name] for name in names} == expected
        assert {name: admin[name] for name in names} == expected
    finally:
        config.state_dir.rmdir()
