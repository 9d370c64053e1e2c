"""Postgres: the system's binaries, a cluster of the stack's own, the services' roles and databases made by
the init script the Postgres image of Compose runs."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from devstack.processes import ServiceError, pid_alive, system_environment, terminate
from devstack.services.base import Service
from devstack.settings import HOST, REPO_ROOT, StackConfig


class Postgres(Service):
    """The system's Postgres, run as the `postgres` OS user when we are root (it refuses to run as root)."""

    name = "postgres"
    port_setting = "POSTGRES_PORT"
    INIT_SCRIPT = REPO_ROOT / "postgres" / "init" / "10-create-databases.sh"
    host = HOST

    def __init__(self, config: StackConfig) -> None:
        super().__init__(config)
        self.user = config.get("POSTGRES_USER")
        self.password = config.get("POSTGRES_PASSWORD")
        # A link to the postgres OS user's home when the state directory is out of its reach (_relocate).
        self.dir = config.state_dir / "postgres"

    @property
    def data(self) -> Path:
        """The cluster's data directory by its real path: the one the postgres OS user can enter."""
        return self.dir.resolve() / "data"

    @property
    def address(self) -> str:
        return f"postgresql://{self.user}@{HOST}:{self.port}/"

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL of one database, password included."""
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"postgresql+psycopg://{credentials}@{HOST}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(
            host=HOST, port=self.port, user=self.user, password=self.password, dbname=dbname, autocommit=True
        )

    def _binary(self, tool: str) -> Path:
        # The newest installed version (directories are named 15, 16..., older ones 9.6).
        found = sorted(
            Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"),
            key=lambda path: [int(part) for part in path.parts[-3].split(".") if part.isdigit()],
        )
        if not found:
            raise ServiceError(f"{tool} not found under /usr/lib/postgresql: apt-get install postgresql")
        return found[-1]

    def _run(self, tool: str, *args: str) -> int:
        command = [str(self._binary(tool)), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        with self.log.open("ab") as log:  # the tool's messages go next to the server's own log
            return subprocess.run(
                command, cwd=self.dir.resolve(), stdout=log, stderr=subprocess.STDOUT, check=False
            ).returncode

    def _prepare_dirs(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            self.log.touch()
            return
        if not self.dir.is_symlink() and not self._postgres_may("-x", self.dir.parent):
            self._relocate()
        self.log.touch()
        owner = pwd.getpwnam("postgres")
        for path in (self.dir, self.log):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        if not (self._postgres_may("-w", self.dir) and self._postgres_may("-w", self.log)):
            raise ServiceError(
                f"the postgres OS user cannot reach {self.dir.resolve()} (a parent directory is private): "
                "set DEV_STATE_DIR to a directory it can read, e.g. /var/tmp/cinema-dev"
            )

    @staticmethod
    def _postgres_may(test_flag: str, path: Path) -> bool:
        """Whether the postgres OS user passes `test <test_flag> path` (-x: may enter, -w: may write)."""
        probe = ["runuser", "-u", "postgres", "--", "test", test_flag, str(path.resolve())]
        return subprocess.run(probe, cwd="/", check=False).returncode == 0

    def _relocate(self) -> None:
        """A root's clone in /root: Postgres refuses to run as root, and its own OS user may not enter
        /root. The cluster then lives in that user's home, one directory per state directory, and the
        state directory keeps a link to it (and to its log), so `make dev-down`, `make dev-logs` and
        deleting `.dev/` (the next start finds no link and makes a new cluster) work as before."""
        if (self.dir / "data" / "PG_VERSION").exists():
            return  # a cluster made while its parents were readable: never moved, the error explains
        home = Path(pwd.getpwnam("postgres").pw_dir) / "devstack"
        target = home / hashlib.sha256(str(self.dir.absolute()).encode()).hexdigest()[:16]
        shutil.rmtree(target, ignore_errors=True)  # a cluster whose link went with a deleted .dev/
        target.mkdir(parents=True)
        for path in (home, target):
            shutil.chown(path, "postgres", "postgres")
        target.chmod(0o700)
        shutil.rmtree(self.dir)  # holds no cluster (checked above): nothing to keep
        self.dir.symlink_to(target, target_is_directory=True)
        self.log.unlink(missing_ok=True)
        self.log.symlink_to(target / self.log.name)
        print(
            f"postgres: the cluster is in {target} ({self.dir} links to it): the postgres OS user "
            f"cannot enter {self.config.state_dir}",
            file=sys.stderr,
        )

    def _initdb(self) -> None:
        shutil.rmtree(self.data, ignore_errors=True)  # left over from a failed initdb
        fd, pwfile = tempfile.mkstemp(dir=self.dir.resolve())  # 0600: only its owner may read the password
        try:
            with os.fdopen(fd, "w") as file:
                file.write(self.password + "\n")
            if os.geteuid() == 0:
                shutil.chown(pwfile, "postgres")
            args = ["-D", str(self.data), "-U", self.user, f"--pwfile={pwfile}", "-A", "scram-sha-256"]
            args += ["-E", "UTF8", "--no-locale", *(["--no-sync"] if self.config.throwaway else [])]
            if self._run("initdb", *args) != 0:
                raise self.error("initdb failed")
        finally:
            os.unlink(pwfile)

    def start(self) -> None:
        self._prepare_dirs()
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        # No unix socket: its path has length and permission pitfalls, and TCP is all we use.
        options = f"-c listen_addresses={HOST} -p {self.port} -c unix_socket_directories=''"
        if self.config.throwaway:  # test data is disposable: trade durability for speed
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        wait = ["-w", "-t", str(int(self.ready_timeout))]
        if self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log.resolve()), *wait, "-s", "-o", options, "start"
        ):
            raise self.error("pg_ctl start failed")
        self._create_service_databases()

    def _create_service_databases(self) -> None:
        if self.run_init_script():
            raise self.error(f"{self.INIT_SCRIPT.relative_to(REPO_ROOT)} failed")

    def run_init_script(self, overrides: Mapping[str, str] = {}) -> int:
        """Runs the init script the Postgres image of Compose runs (the services' roles and databases)
        against this server, with the stack's settings and `overrides`; its output goes to the log."""
        bin_dir = self._binary("psql").parent
        env = system_environment() | dict(self.config.env) | dict(overrides)
        env |= {"PGHOST": HOST, "PGPORT": str(self.port), "PGPASSWORD": self.password}
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        with self.log.open("ab") as log:
            return subprocess.run(
                [str(self.INIT_SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT, check=False
            ).returncode

    def pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            if pid_alive(pid):
                return pid
        return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "-s", "stop")
        if pid_alive(pid):
            terminate(pid, 5)
