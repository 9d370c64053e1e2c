"""Pytest fixtures running a throwaway stack (free ports, temporary state), stopped at the end.

Enabled from the root conftest.py (`pytest_plugins = ["devstack.pytest_plugin"]`). Each server starts
only when a test asks for it, so a Postgres-only test does not wait for SeaweedFS.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.services import AdminPanel, FileAPI, Nginx, Postgres, SeaweedFS
from devstack.settings import StackConfig
from devstack.testing import running, temporary_s3, throwaway


@pytest.fixture(scope="session")
def stack_config() -> Iterator[StackConfig]:
    with throwaway() as config:
        yield config


@pytest.fixture(scope="session")
def stack_settings(stack_config: StackConfig) -> dict[str, str]:
    """The throwaway settings (ports, credentials...) as `.env`-style names and values."""
    return dict(stack_config.env)


@pytest.fixture(scope="session")
def postgres_server(stack_config: StackConfig) -> Iterator[Postgres]:
    """Running Postgres: host, port, user, password, url(dbname), connect()."""
    with running(Postgres(stack_config)) as server:
        yield server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(postgres_server: Postgres) -> None:
    """Points Django at the session's Postgres before pytest-django creates its test database (this
    overrides pytest-django's fixture of that name; suites without Django never ask for it)."""
    from django.conf import settings

    settings.DATABASES["default"].update(
        HOST=postgres_server.host,
        PORT=postgres_server.port,
        USER=postgres_server.user,
        PASSWORD=postgres_server.password,
    )


@pytest.fixture(scope="session")
def s3_server(stack_config: StackConfig) -> Iterator[SeaweedFS]:
    """Running SeaweedFS S3: endpoint_url, access_key, secret_key, region, client (minio.Minio)."""
    with running(SeaweedFS(stack_config)) as server:
        yield server


@pytest.fixture(scope="session")
def file_api_server(
    stack_config: StackConfig, postgres_server: Postgres, s3_server: SeaweedFS
) -> Iterator[FileAPI]:
    """Running FileAPI (file_api/start) on the session's Postgres and S3: base_url, token."""
    with running(FileAPI(stack_config)) as server:
        yield server


@pytest.fixture(scope="session")
def admin_server(stack_config: StackConfig, file_api_server: FileAPI) -> Iterator[AdminPanel]:
    """Running admin (admin_panel/start: migrations, superuser, gunicorn) on the session's services."""
    with running(AdminPanel(stack_config)) as server:
        yield server


@pytest.fixture(scope="session")
def nginx_server(stack_config: StackConfig) -> Iterator[Nginx]:
    """Running nginx with the stack's template, in front of the session's services (as each is started)."""
    with running(Nginx(stack_config)) as server:
        yield server


@pytest.fixture
def temporary_s3_server() -> Iterator[SeaweedFS]:
    """A separate SeaweedFS for one test, which may stop it (`temporary_s3_server.stop()`)."""
    with temporary_s3() as server:
        yield server
