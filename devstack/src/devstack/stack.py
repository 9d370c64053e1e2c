"""The stack: the services in start order, started together and stopped in reverse order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from devstack.services import SERVICES, Service
from devstack.settings import SettingsError, StackConfig, port_in_use


class Stack:
    def __init__(self, config: StackConfig, services: Sequence[type[Service]] = SERVICES) -> None:
        self.config = config
        self.services = [cls(config) for cls in services]

    def select(self, names: Iterable[str] = ()) -> list[Service]:
        """The services named (all when none is), in start order."""
        wanted = set(names)
        unknown = wanted - {service.name for service in self.services}
        if unknown:
            raise SettingsError(f"unknown service(s) {', '.join(sorted(unknown))}; known: {self.names()}")
        return [service for service in self.services if not wanted or service.name in wanted]

    def names(self) -> str:
        return ", ".join(service.name for service in self.services)

    def up(self, names: Iterable[str] = (), say: Callable[[str], None] = print) -> list[Service]:
        """Start the selected services that are not running; on failure stop those this call started."""
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        # The state dir may sit inside the repo (.dev/): keep it out of git without touching .gitignore.
        (self.config.state_dir / ".gitignore").write_text("*\n")
        started: list[Service] = []
        try:
            for service in self.select(names):
                if service.pid() is not None:
                    continue
                if port_in_use(service.port):
                    where = "" if self.config.throwaway else " in .env"
                    raise SettingsError(
                        f"{service.port_setting}={service.port} is in use; set another{where}"
                    )
                say(f"starting {service.name}...")
                started.append(service)
                service.start()
        except BaseException:
            for service in reversed(started):
                service.stop()
            raise
        return started

    def down(self, say: Callable[[str], None] = print) -> list[Service]:
        """Stop every running service, in reverse start order."""
        stopped = []
        for service in reversed(self.services):
            if service.pid() is not None:
                say(f"stopping {service.name}...")
                service.stop()
                stopped.append(service)
        return stopped
