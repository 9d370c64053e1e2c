"""Services start from an explicit environment: the caller's system variables and the stack's settings,
never the rest of the caller's environment (under pytest-django that holds the test settings module)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import psutil
import pytest

from config.app_env import DEVELOPMENT_BANNER
from devstack.services import AdminPanel, FileAPI, Postgres, SeaweedFS, system_environment
from devstack.settings import StackConfig, free_ports
from devstack.testing import running

# What a developer's shell or a test runner may hold that would change what a service does.
STRAY = {
    "DJANGO_SETTINGS_MODULE": "config.settings.test",
    "AWS_ACCESS_KEY_ID": "stray-access-key",
    "AWS_SECRET_ACCESS_KEY": "stray-secret-key",
    "PYTHONPATH": "/nowhere",
}


def test_system_environment_keeps_only_what_any_process_needs() -> None:
    caller = {"PATH": "/bin", "HOME": "/home/me", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}

    assert system_environment(caller | STRAY | {"FILE_API_TOKEN": "mine"}) == caller


@pytest.fixture(scope="module")
def started_with_stray_variables(
    stack_config: StackConfig, postgres_server: Postgres, s3_server: SeaweedFS
) -> Iterator[tuple[FileAPI, AdminPanel]]:
    """A FileAPI and an admin of their own (own ports and state), started while the caller's environment
    holds STRAY; they share the session's Postgres and S3."""
    file_api_port, admin_port = free_ports(2)
    with (
        tempfile.TemporaryDirectory(prefix="devstack-env-") as state_dir,
        pytest.MonkeyPatch.context() as caller_environment,
    ):
        for name, value in STRAY.items():
            caller_environment.setenv(name, value)
        config = replace(
            stack_config,
            env={**stack_config.env, "FILE_API_PORT": str(file_api_port), "ADMIN_PORT": str(admin_port)},
            state_dir=Path(state_dir),
        )
        with running(FileAPI(config)) as file_api, running(AdminPanel(config)) as admin:
            yield file_api, admin


@pytest.mark.parametrize("service", ["file_api", "admin"])
def test_stray_variables_of_the_caller_do_not_reach_the_service(
    started_with_stray_variables: tuple[FileAPI, AdminPanel], service: str
) -> None:
    file_api, admin = started_with_stray_variables
    started = file_api if service == "file_api" else admin
    pid = started.pid()
    assert pid is not None

    environment = psutil.Process(pid).environ()  # what it was started with, as the kernel recorded it

    assert set(STRAY) & set(environment) == set()
    # What it got instead: the stack's settings, development included.
    assert environment["APP_ENV"] == "development"
    assert environment["FILE_API_TOKEN"] == started.config.env["FILE_API_TOKEN"]


def test_the_admin_runs_its_own_settings_module(
    started_with_stray_variables: tuple[FileAPI, AdminPanel],
) -> None:
    """config.settings.test would answer in English; the admin's own settings take LANGUAGE_CODE."""
    _, admin = started_with_stray_variables
    assert admin.config.env["LANGUAGE_CODE"] == "ru"

    page = httpx.get(f"{admin.address}/admin/login/", timeout=30)

    assert page.status_code == 200
    assert '<html lang="ru"' in page.text


def test_the_admin_starts_in_development_with_the_banner(
    started_with_stray_variables: tuple[FileAPI, AdminPanel],
) -> None:
    _, admin = started_with_stray_variables

    assert DEVELOPMENT_BANNER in admin.log.read_text()
