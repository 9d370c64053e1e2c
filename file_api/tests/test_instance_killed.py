"""Two FileAPI instances behind nginx, under concurrent uploads and downloads; one is killed (SIGKILL).

Requests may fail while nginx notices the dead instance, but every request that completes has exactly the
right bytes, and afterwards (the crash's leftovers cleaned by the reconcile command, as an operator would)
rows and objects match one to one with no incomplete multipart upload left.
"""

import hashlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial

import httpx
import pytest

from devstack.services import HOST, FileAPI, Nginx, Postgres, SeaweedFS, wait_for
from devstack.settings import StackConfig, free_ports
from devstack.testing import running, throwaway
from file_api.storage import ObjectStore

CLIENTS = 20
MiB = 1024**2


class TwoInstanceNginx(Nginx):
    """nginx from the stack's template with a second FileAPI in its upstream, as Compose's
    `--scale file_api=2` gets through DNS (the template's upstream has one `server` line)."""

    def __init__(self, config: StackConfig, second: FileAPI) -> None:
        super().__init__(config)
        self.second = second

    def template_variables(self) -> dict[str, str]:
        variables = super().template_variables()
        second_address = f"{HOST}:{self.second.port}"
        variables["NGINX_FILE_API_UPSTREAM"] += "; server " + second_address
        return variables


@dataclass
class Outcome:
    completed: int = 0
    failed: int = 0
    uploaded: set[str] = field(default_factory=set)
    wrong: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, ok: bool | None, what: str = "") -> None:
        with self.lock:
            if ok is None:
                self.failed += 1
            elif ok:
                self.completed += 1
            else:
                self.wrong.append(what)


def client_loop(site: str, token: str, stop: threading.Event, outcome: Outcome) -> None:
    """Uploads a file, downloads it back through nginx, compares sha256; again until stopped."""
    with httpx.Client(base_url=site, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            content = os.urandom(int.from_bytes(os.urandom(2)) % (12 * MiB) + 1)
            digest = hashlib.sha256(content).hexdigest()
            upload = answered(partial(client.post, "/api/v1/", files={"file": ("film.mp4", content)}), 201)
            if upload is None:
                outcome.record(None)
                continue
            stored = upload.json()
            with outcome.lock:
                outcome.uploaded.add(stored["short_name"])
            outcome.record(stored["sha256"] == digest and stored["size"] == len(content), f"upload {stored}")
            path = str(httpx.URL(stored["url"]).copy_with(scheme=None, host=None, port=None))
            download = answered(partial(client.get, path), 200)
            if download is None:
                outcome.record(None)
                continue
            outcome.record(hashlib.sha256(download.content).hexdigest() == digest, f"download {path}")


def answered(request: Callable[[], httpx.Response], expected_status: int) -> httpx.Response | None:
    """The answer if the request completed with the status expected, None if it failed (the connection
    dropped, or nginx answered an error while it noticed the killed instance)."""
    try:
        response = request()
    except httpx.TransportError:
        return None
    return response if response.status_code == expected_status else None


@pytest.fixture
def two_instances() -> Iterator[tuple[StackConfig, Postgres, FileAPI, FileAPI, Nginx]]:
    with throwaway() as config, running(Postgres(config)) as postgres, running(SeaweedFS(config)):
        second_config = replace(
            config,
            env=dict(config.env) | {"FILE_API_PORT": str(free_ports(1)[0])},
            state_dir=config.state_dir / "second-file-api",
        )
        with (
            running(FileAPI(config)) as first,
            running(FileAPI(second_config)) as second,
            running(TwoInstanceNginx(config, second)) as nginx,
        ):
            yield config, postgres, first, second, nginx


def test_one_instance_killed_under_load_loses_nothing(
    two_instances: tuple[StackConfig, Postgres, FileAPI, FileAPI, Nginx],
    store_of: Callable[[FileAPI], ObjectStore],
) -> None:
    config, postgres, first, second, nginx = two_instances
    outcome, stop = Outcome(), threading.Event()
    clients = [
        threading.Thread(target=client_loop, args=(nginx.base_url, first.token, stop, outcome))
        for _ in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    try:
        assert wait_for(lambda: outcome.completed >= CLIENTS, timeout=120), "no traffic got through"
        victim = first.pid()
        assert victim is not None
        os.killpg(victim, signal.SIGKILL)
        completed_at_kill = outcome.completed
        # The survivor carries on alone.
        assert wait_for(lambda: outcome.completed >= completed_at_kill + 2 * CLIENTS, timeout=120)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=120)
    first.stop()  # reaps the killed process

    assert outcome.wrong == []
    print(f"completed {outcome.completed} requests with the right bytes, {outcome.failed} failed")

    # What the crash left (an upload cut in the middle, or an object whose row was not written yet) is
    # what the reconcile command is for; no upload is in flight now, so nothing is too young to judge.
    reconcile = subprocess.run(
        [sys.executable, "-m", "file_api.reconcile", "--fix", "--older-than", "0s"],
        env=second.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    print(reconcile.stdout)
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
    store = store_of(second)
    with postgres.connect(config.get("FILE_API_DB_NAME")) as db:
        rows = {row[0] for row in db.execute("SELECT short_name FROM stored_file")}
    assert rows == {stored.key for stored in store.list_objects()}
    assert list(store.list_incomplete_uploads()) == []
    assert outcome.uploaded <= rows  # every upload that completed has its file
