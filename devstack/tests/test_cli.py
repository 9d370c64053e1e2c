"""The persistent stack through its command line: up/down/up keeps data, clear errors, no leftovers."""

from __future__ import annotations

import io
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values

from devstack.services import Postgres, SeaweedFS, pid_alive
from devstack.settings import ENV_EXAMPLE, free_ports, persistent_config

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """Environment for a persistent stack of its own: temporary state and .env, free ports."""
    # Not tmp_path: pytest makes it 0700, which the postgres OS user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="devstack-cli-"))
    root.chmod(0o755)
    port_names = [name for name in dotenv_values(ENV_EXAMPLE) if name.endswith("_PORT")]
    ports = dict(zip(port_names, map(str, free_ports(len(port_names))), strict=True))
    environ = dict(os.environ, DEV_STATE_DIR=str(root / "state"), DEV_ENV_FILE=str(root / ".env"), **ports)
    yield environ
    subprocess.run([sys.executable, "-m", "devstack", "down"], env=environ, capture_output=True, check=False)
    shutil.rmtree(root)


@pytest.fixture
def devstack(env: dict[str, str]) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "devstack", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)

    return run


def test_up_down_up_keeps_data_and_leaves_no_process(devstack: Run, env: dict[str, str]) -> None:
    first = devstack("up", "postgres", "s3")
    assert first.returncode == 0, first.stderr
    assert "Created" in first.stderr
    assert "PUBLIC secrets" in first.stderr
    assert "The stack is up" in first.stdout

    config = persistent_config(env)
    postgres, s3 = Postgres(config), SeaweedFS(config)
    with postgres.connect(env.get("FILE_API_DB_NAME", "file_api")) as conn:
        conn.execute("CREATE TABLE kept (value text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    s3.client.put_object(
        bucket_name="films", object_name="kept.txt", data=io.BytesIO(b"still here"), length=10
    )

    again = devstack("up", "postgres", "s3")
    assert again.returncode == 0
    assert "already running" in again.stdout

    pids = [postgres.pid(), s3.pid()]
    assert None not in pids
    down = devstack("down")
    assert down.returncode == 0, down.stderr
    assert not any(pid_alive(pid) for pid in pids if pid is not None)
    assert devstack("down").stdout.strip() == "The stack is not running."

    assert devstack("up", "postgres", "s3").returncode == 0
    with postgres.connect(env.get("FILE_API_DB_NAME", "file_api")) as conn:
        assert conn.execute("SELECT value FROM kept").fetchall() == [("still here",)]
    assert s3.client.get_object(bucket_name="films", object_name="kept.txt").read() == b"still here"


def test_a_port_in_use_is_named(devstack: Run, env: dict[str, str]) -> None:
    with socket.create_server(("127.0.0.1", int(env["POSTGRES_PORT"]))):
        result = devstack("up")
    assert result.returncode == 1
    assert f"POSTGRES_PORT={env['POSTGRES_PORT']} is in use; set another in .env" in result.stderr


def test_a_stale_pid_file_is_cleaned_up(devstack: Run, env: dict[str, str]) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid_file = Path(env["DEV_STATE_DIR"]) / "s3.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(f"{dead.pid}\n")
    result = devstack("status")
    assert result.returncode == 3
    assert "s3        stopped" in result.stdout
    assert not pid_file.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs Postgres as another OS user")
def test_a_state_dir_postgres_cannot_enter_keeps_its_cluster_in_the_postgres_home(
    devstack: Run, env: dict[str, str], tmp_path: Path
) -> None:
    state = tmp_path / "state"  # pytest's tmp_path is 0700, owned by root: like a clone in /root
    env["DEV_STATE_DIR"] = str(state)
    link = state / "postgres"
    try:
        first = devstack("up", "postgres")
        assert first.returncode == 0, first.stderr
        cluster = link.resolve()
        assert link.is_symlink()
        assert cluster.parent == Path(pwd.getpwnam("postgres").pw_dir) / "devstack"
        assert f"postgres: the cluster is in {cluster}" in first.stderr
        postgres = Postgres(persistent_config(env))
        with postgres.connect() as conn:
            conn.execute("CREATE TABLE kept (value text)")
        assert devstack("down").returncode == 0
        assert devstack("up", "postgres").returncode == 0
        with postgres.connect() as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)

        assert devstack("down").returncode == 0
        shutil.rmtree(state)  # "delete .dev/ to start afresh"
        assert devstack("up", "postgres").returncode == 0
        assert link.resolve() == cluster
        with postgres.connect() as conn:
            assert conn.execute("SELECT to_regclass('kept')").fetchone() == (None,)
    finally:
        devstack("down")
        shutil.rmtree(link.resolve(), ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs Postgres as another OS user")
def test_a_cluster_postgres_can_no_longer_reach_is_explained(
    devstack: Run, env: dict[str, str], tmp_path: Path
) -> None:
    state = tmp_path / "state"  # pytest's tmp_path is 0700, owned by root
    (state / "postgres" / "data").mkdir(parents=True)
    # A cluster made while the state directory was reachable: never moved.
    (state / "postgres" / "data" / "PG_VERSION").write_text("15\n")
    env["DEV_STATE_DIR"] = str(state)
    result = devstack("up", "postgres")
    assert result.returncode == 1
    assert "the postgres OS user cannot reach" in result.stderr
    assert "DEV_STATE_DIR" in result.stderr
