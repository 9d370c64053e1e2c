"""The throwaway Postgres: password auth over TCP on 127.0.0.1 only, databases created idempotently."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from devstack.services import Postgres

from .helpers import listening


def test_accepts_the_password_and_the_databases_exist(
    postgres_server: Postgres, stack_settings: dict[str, str]
) -> None:
    # Made by postgres/init/10-create-databases.sh, the script the Compose image runs too.
    for database in (stack_settings["FILE_API_DB_NAME"], stack_settings["ADMIN_DB_NAME"]):
        with postgres_server.connect(database) as conn:
            assert conn.execute("SELECT current_user").fetchone() == (stack_settings["POSTGRES_USER"],)


def test_refuses_a_wrong_password(postgres_server: Postgres) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=postgres_server.host, port=postgres_server.port, user=postgres_server.user, password="wrong"
        )


def test_create_database_is_idempotent(postgres_server: Postgres) -> None:
    url = postgres_server.create_database("extra_db")
    assert postgres_server.create_database("extra_db") == url
    assert url.startswith("postgresql+psycopg://")
    assert url.endswith(f":{postgres_server.port}/extra_db")
    with postgres_server.connect("extra_db") as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("extra_db",)


def test_listens_on_localhost_only_and_has_no_unix_socket(postgres_server: Postgres) -> None:
    pid = postgres_server.pid()
    assert pid is not None
    assert listening(pid) == {("127.0.0.1", postgres_server.port)}
    unix = subprocess.run(["ss", "-lxpH"], capture_output=True, text=True, check=True).stdout
    assert f"pid={pid}," not in unix
