"""A row exists only for a fully stored object: failures on either side leave nothing behind."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from psycopg import sql

from devstack.services import Postgres, SeaweedFS
from file_api.config import Settings

READ_ONLY_ROLE = "file_api_read_only"
READ_ONLY_PASSWORD = "read-only-test-password"


@pytest.fixture(scope="module")
def read_only_role(postgres_server: Postgres, stack_settings: dict[str, str]) -> Iterator[str]:
    """A database role that can read FileAPI's table but not write it: a real refused INSERT."""
    role = sql.Identifier(READ_ONLY_ROLE)
    with postgres_server.connect(stack_settings["FILE_API_DB_NAME"]) as connection:
        connection.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, READ_ONLY_PASSWORD))
        database = sql.Identifier(stack_settings["FILE_API_DB_NAME"])
        # Only the owner may connect to a service's database (postgres/init): this role is let in.
        connection.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role))
        connection.execute(sql.SQL("GRANT SELECT ON stored_file TO {}").format(role))
        yield READ_ONLY_ROLE
        connection.execute(sql.SQL("DROP OWNED BY {}").format(role))
        connection.execute(sql.SQL("DROP ROLE {}").format(role))


def test_object_is_removed_when_its_row_cannot_be_written(
    file_api_settings: Callable[..., Settings],
    in_process_api: Any,
    read_only_role: str,
    object_keys: Any,
    row_count: Any,
) -> None:
    keys_before, rows_before = object_keys(), row_count()
    settings = file_api_settings(file_api_db_user=read_only_role, file_api_db_password=READ_ONLY_PASSWORD)

    with in_process_api(settings) as client:
        response = client.post("/api/v1/", files={"file": ("film.mp4", os.urandom(20 * 1024**2))})

    assert response.status_code == 500
    assert response.json() == {"detail": "the database refused the change"}
    assert (object_keys(), row_count()) == (keys_before, rows_before)


def test_no_row_is_written_when_s3_fails(
    file_api_settings: Callable[..., Settings],
    in_process_api: Any,
    temporary_s3_server: SeaweedFS,
    row_count: Any,
) -> None:
    rows_before = row_count()
    settings = file_api_settings(s3_endpoint_url=temporary_s3_server.endpoint_url)

    with in_process_api(settings) as client:
        temporary_s3_server.stop()
        response = client.post("/api/v1/", files={"file": ("film.mp4", b"frames")})

    assert response.status_code == 503
    assert response.json() == {"detail": "object storage is unavailable, try again later"}
    assert row_count() == rows_before
