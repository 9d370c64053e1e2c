"""Where the catalogue lives, and migrations that do not depend on the chosen file storage."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from devstack.services import Postgres
from file_storage.config import BACKENDS

ADMIN_PANEL = Path(__file__).resolve().parents[1]
CATALOGUE_TABLES = {"film_work", "genre", "person", "genre_film_work", "person_film_work"}


@pytest.mark.django_db
def test_catalogue_tables_live_in_the_content_schema() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name = ANY(%s)",
            [list(CATALOGUE_TABLES)],
        )
        placed = set(cursor.fetchall())

    assert placed == {("content", table) for table in CATALOGUE_TABLES}


def manage(postgres_server: Postgres, backend: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`manage.py ARGS` with the production settings, as a fresh process: settings are read only once."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        # The dummy secrets below are public and short: only development accepts them.
        "APP_ENV": "development",
        "DJANGO_SECRET_KEY": "test-only-secret-key",
        "FILE_STORAGE_BACKEND": backend,
        # Every backend's secrets, dummies: nothing here talks to a storage.
        "ADMIN_S3_ACCESS_KEY": "test-access-key",
        "ADMIN_S3_SECRET_KEY": "test-secret-key",
        "FILE_API_TOKEN": "test-token",
        "FILE_API_URL_SIGNING_KEY": "test-url-signing-key-of-32-characters",
        # makemigrations compares with the migrations a database has applied; an empty one has none.
        "POSTGRES_HOST": postgres_server.host,
        "POSTGRES_PORT": str(postgres_server.port),
        "ADMIN_DB_USER": postgres_server.user,
        "ADMIN_DB_PASSWORD": postgres_server.password,
        "ADMIN_DB_NAME": "postgres",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ADMIN_PANEL,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_are_complete_whichever_storage_backend_is_chosen(
    postgres_server: Postgres, backend: str
) -> None:
    result = manage(postgres_server, backend, "makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    assert result.stderr == ""


def test_unknown_storage_backend_fails_the_check_naming_the_valid_ones(postgres_server: Postgres) -> None:
    result = manage(postgres_server, "ftp", "check")

    assert result.returncode != 0
    assert "FILE_STORAGE_BACKEND='ftp'" in result.stderr
    assert "local, s3, minio, file_api" in result.stderr
