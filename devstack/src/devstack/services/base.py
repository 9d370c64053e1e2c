"""The shape every service has (`Service`), the server run as one child process that most are
(`ProcessService`), and the project's applications run by their own start scripts (`ApplicationService`)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from devstack.processes import ServiceError, log_tail, pid_alive, system_environment, terminate, wait_for
from devstack.settings import HOST, REPO_ROOT, StackConfig

# The venv's bin directory (weed, alembic, uvicorn): the one of the Python running us.
VENV_BIN = Path(sys.executable).parent


class Service(ABC):
    """A service knows its public port setting, how to start itself in the background and wait until it is
    usable (`start`), whether it runs (`pid`) and how to stop what it started (`stop`, by PID, never by
    name)."""

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


class ApplicationService(ProcessService):
    """One of the project's applications, started by the script its Docker image runs (`<folder>/start`)
    from its folder, with every setting and where the other services are."""

    folder: ClassVar[str]  # of the repository

    def cwd(self) -> Path:
        return REPO_ROOT / self.folder

    def command(self) -> list[str]:
        return [str(self.cwd() / "start")]

    def environment(self) -> dict[str, str]:
        env = super().environment() | self.config.application_environment()
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"  # so alembic, uvicorn, gunicorn resolve
        return env
