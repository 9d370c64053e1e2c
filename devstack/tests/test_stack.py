"""The Stack's shape with tiny stand-in services: a failed start is reported and rolled back."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import ClassVar

import pytest

from devstack.services import ProcessService, ServiceError, pid_alive
from devstack.settings import StackConfig, free_ports
from devstack.stack import Stack
from devstack.testing import throwaway


class WebServer(ProcessService):
    name = "web"
    port_setting = "WEB_PORT"
    health_path = "/"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(self.port)]


class Crashing(ProcessService):
    name = "crashing"
    port_setting = "CRASHING_PORT"
    health_path = "/"
    ready_timeout: ClassVar[float] = 10.0

    def command(self) -> list[str]:
        return ["sh", "-c", "echo 'cannot open the config'; exit 3"]


@pytest.fixture
def config() -> Iterator[StackConfig]:
    with throwaway() as base:
        web, crashing = free_ports(2)
        yield StackConfig({"WEB_PORT": str(web), "CRASHING_PORT": str(crashing)}, base.state_dir, True)


def test_a_failed_start_shows_the_log_and_stops_what_was_started(config: StackConfig) -> None:
    stack = Stack(config, [WebServer, Crashing])
    web = stack.services[0]
    with pytest.raises(ServiceError, match=r"(?s)exited with code 3.*cannot open the config"):
        stack.up(say=lambda _: None)
    assert web.pid() is None
    assert not (config.state_dir / "web.pid").exists()


def test_up_starts_what_is_stopped_and_down_stops_it(config: StackConfig) -> None:
    stack = Stack(config, [WebServer])
    (web,) = stack.up(say=lambda _: None)
    pid = web.pid()
    assert pid is not None
    assert stack.up(say=lambda _: None) == []  # already running: nothing to start
    assert stack.down(say=lambda _: None) == [web]
    assert not pid_alive(pid)
