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


SERVICES = [
    ("FILE_API_DB_USER", "FILE_API_DB_PASSWORD", "FILE_API_DB_NAME"),
    ("ADMIN_DB_USER", "ADMIN_DB_PASSWORD", "ADMIN_DB_NAME"),
]


def connect_as(postgres_server: Postgres, user: str, password: str, dbname: str) -> psycopg.Connection:  # type: ignore[type-arg]
    return psycopg.connect(
        host=postgres_server.host, port=postgres_server.port, user=user, password=password, dbname=dbname
    )


@pytest.mark.parametrize(("user", "password", "database"), SERVICES)
def test_each_service_has_a_role_that_owns_its_database_and_nothing_more(
    postgres_server: Postgres, stack_settings: dict[str, str], user: str, password: str, database: str
) -> None:
    role, secret, own = stack_settings[user], stack_settings[password], stack_settings[database]
    with connect_as(postgres_server, role, secret, own) as conn:
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [own])
        assert owner.fetchone() == (role,)
        rights = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s", [role]
        )
        assert rights.fetchone() == (False, False, False)
        conn.execute(
            "CREATE SCHEMA probe; DROP SCHEMA probe"
        )  # migrations: it may create in its own database
    other = next(stack_settings[name] for _, _, name in SERVICES if name != database)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        connect_as(postgres_server, role, secret, other)


def test_the_init_script_runs_again_and_refuses_data_of_another_owner(postgres_server: Postgres) -> None:
    env = {"FILE_API_DB_NAME": "init_probe_files", "ADMIN_DB_NAME": "init_probe_admin"}
    assert postgres_server.run_init_script(env) == 0
    assert postgres_server.run_init_script(env) == 0  # make dev runs it at every start
    with postgres_server.connect() as conn:
        conn.execute("ALTER DATABASE init_probe_admin OWNER TO CURRENT_USER")  # as data from before the roles

    assert postgres_server.run_init_script(env) == 1
    assert "the database init_probe_admin belongs to" in postgres_server.log.read_text()
    with postgres_server.connect() as conn:
        for name in env.values():
            conn.execute(f'DROP DATABASE "{name}"')


def test_refuses_a_wrong_password(postgres_server: Postgres) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=postgres_server.host, port=postgres_server.port, user=postgres_server.user, password="wrong"
        )


def test_listens_on_localhost_only_and_has_no_unix_socket(postgres_server: Postgres) -> None:
    pid = postgres_server.pid()
    assert pid is not None
    assert listening(pid) == {("127.0.0.1", postgres_server.port)}
    unix = subprocess.run(["ss", "-lxpH"], capture_output=True, text=True, check=True).stdout
    assert f"pid={pid}," not in unix
