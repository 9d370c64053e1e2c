"""`admin_panel/start`, run by devstack as in Compose: the demo catalogue failing to load is logged and
the admin starts anyway."""

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pytest

from devstack.services import AdminPanel, Postgres
from devstack.settings import StackConfig, free_ports
from devstack.testing import running

# Postgres refuses every genre: the loader fails for a reason of the database's own.
REFUSE_GENRES = """
CREATE FUNCTION content.refuse_genres() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'no new genres today'; END $$;
CREATE TRIGGER refuse_genres BEFORE INSERT ON content.genre
FOR EACH ROW EXECUTE FUNCTION content.refuse_genres();
"""


def connect(config: StackConfig, dbname: str) -> psycopg.Connection:  # type: ignore[type-arg]
    return psycopg.connect(
        host="127.0.0.1",
        port=config.port("POSTGRES_PORT"),
        user=config.get("POSTGRES_USER"),
        password=config.get("POSTGRES_PASSWORD"),
        dbname=dbname,
        autocommit=True,
    )


@pytest.fixture
def empty_admin_config(
    stack_config: StackConfig, postgres_server: Postgres, tmp_path: Path
) -> Iterator[StackConfig]:
    """The harness's settings with a database of its own (an empty catalogue), a port and state directory."""
    dbname = f"admin_start_{free_ports(1)[0]}"
    env = {
        **stack_config.env,
        "ADMIN_DB_NAME": dbname,
        "ADMIN_PORT": str(free_ports(1)[0]),
        "DJANGO_LOAD_DEMO_DATA": "true",
        "GUNICORN_WORKERS": "1",
    }
    with connect(stack_config, "postgres") as admin_db:
        admin_db.execute(f'CREATE DATABASE "{dbname}" OWNER "{stack_config.get("ADMIN_DB_USER")}"')
    try:
        yield replace(stack_config, env=env, state_dir=tmp_path)
    finally:
        with connect(stack_config, "postgres") as admin_db:
            admin_db.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')


def test_a_demo_data_failure_does_not_stop_the_admin(empty_admin_config: StackConfig) -> None:
    admin = AdminPanel(empty_admin_config)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=admin.cwd(),
        env=admin.environment(),
        check=True,
    )
    with connect(empty_admin_config, empty_admin_config.get("ADMIN_DB_NAME")) as catalogue:
        catalogue.execute(REFUSE_GENRES)

    with running(admin):
        login = httpx.get(f"{admin.base_url}/admin/login/")
        log = admin.log.read_text()

    assert login.status_code == 200
    assert 'name="username"' in login.text  # the login page itself, served
    assert "no new genres today" in log
    assert "start: the demo data could not be loaded (the error is above); the admin starts without it" in log
    with connect(empty_admin_config, empty_admin_config.get("ADMIN_DB_NAME")) as catalogue:
        assert catalogue.execute("SELECT count(*) FROM content.film_work").fetchone() == (0,)
