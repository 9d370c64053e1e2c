"""Fixtures of the FileAPI suite: a real FileAPI process on the harness's Postgres and SeaweedFS, and the same
app served inside the test process (no socket) for what only checks HTTP semantics."""

import dataclasses
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, create_engine, func, select

from devstack.services import FileAPI, Postgres, SeaweedFS
from devstack.services import wait_for as wait_until
from devstack.settings import StackConfig, free_ports
from devstack.testing import running
from file_api.config import Settings
from file_api.main import create_app
from file_api.models import StoredFile
from file_api.storage import IncompleteUpload, ObjectStore


@pytest.fixture(scope="session")
def api(file_api_server: FileAPI) -> Iterator[httpx.Client]:
    """An HTTP client of the FileAPI process (real HTTP over 127.0.0.1)."""
    with httpx.Client(base_url=file_api_server.base_url, timeout=120) as client:
        yield client


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """The in-process tests run on asyncio, as uvicorn runs FileAPI; one event loop for the session."""
    return "asyncio"


@pytest.fixture(scope="session")
async def app_client(file_api_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    """FileAPI's app called in this process through httpx's ASGI transport: no socket and no server process,
    so a request takes milliseconds. The app's lifespan runs as under uvicorn, on the session FileAPI's
    settings: the same real Postgres database and SeaweedFS bucket. For what FileAPI decides (Range,
    conditional requests, refusals and their JSON); streaming, nginx and faults keep real sockets."""
    app = create_app(file_api_settings())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        yield client


@pytest.fixture(scope="session")
def auth(file_api_server: FileAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {file_api_server.token}"}


@pytest.fixture(scope="session")
def bucket(stack_settings: dict[str, str]) -> str:
    return stack_settings["FILE_API_BUCKET"]


@pytest.fixture(scope="session")
def file_api_db(postgres_server: Postgres, stack_settings: dict[str, str]) -> Iterator[Engine]:
    engine = create_engine(postgres_server.url(stack_settings["FILE_API_DB_NAME"]))
    yield engine
    engine.dispose()


@pytest.fixture
def object_keys(s3_server: SeaweedFS, bucket: str) -> Callable[[], set[str]]:
    """The keys now in FileAPI's bucket."""
    return lambda: {obj.object_name or "" for obj in s3_server.client.list_objects(bucket_name=bucket)}


@pytest.fixture
def row_count(file_api_db: Engine) -> Callable[[], int]:
    def count() -> int:
        with file_api_db.connect() as connection:
            return connection.scalar(select(func.count()).select_from(StoredFile)) or 0

    return count


@pytest.fixture
def upload(api: httpx.Client, auth: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Uploads bytes under a filename and returns the JSON answer (asserting 201)."""

    def upload_file(
        content: bytes, filename: str = "film.mp4", content_type: str = "video/mp4"
    ) -> dict[str, Any]:
        response = api.post("/api/v1/", headers=auth, files={"file": (filename, content, content_type)})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return upload_file


@pytest.fixture(scope="session")
def file_api_settings(file_api_server: FileAPI) -> Callable[..., Settings]:
    """Settings like the FileAPI process's, with overrides, for an app run inside the test."""

    return lambda **overrides: settings_of(file_api_server, **overrides)


@pytest.fixture(scope="session")
def start_file_api(
    stack_config: StackConfig, postgres_server: Postgres, s3_server: SeaweedFS
) -> Callable[..., AbstractContextManager[FileAPI]]:
    """Starts another FileAPI process (file_api/start, as the session's) on the session's Postgres and
    S3, with a bucket and a database of its own named after `name` and settings overridden; a test may
    kill and restart it. Stopped at the end."""

    @contextmanager
    def start(name: str, **settings: str) -> Iterator[FileAPI]:
        database = f"file_api_{name}"
        # Made as Compose and make dev make FileAPI's database: by the init script, owned by FileAPI's role.
        assert postgres_server.run_init_script({"FILE_API_DB_NAME": database}) == 0, postgres_server.log
        env = dict(stack_config.env) | {
            "FILE_API_PORT": str(free_ports(1)[0]),
            "FILE_API_BUCKET": f"{name}-films",
            # FileAPI's key may use only the stack's bucket: this one makes its own, with the root key.
            "FILE_API_S3_ACCESS_KEY": stack_config.get("S3_ACCESS_KEY"),
            "FILE_API_S3_SECRET_KEY": stack_config.get("S3_SECRET_KEY"),
            "FILE_API_DB_NAME": database,
            **settings,
        }
        # A state directory of its own: its pid file and log do not mix with the session's FileAPI.
        state_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=stack_config.state_dir))
        with running(FileAPI(dataclasses.replace(stack_config, env=env, state_dir=state_dir))) as server:
            yield server

    return start


@pytest.fixture(scope="session")
def store_of() -> Callable[[FileAPI], ObjectStore]:
    """An ObjectStore on the bucket of a FileAPI process, with that process's settings."""

    return lambda file_api: ObjectStore.from_settings(settings_of(file_api))


@pytest.fixture
def incomplete_uploads(
    file_api_server: FileAPI, store_of: Callable[[FileAPI], ObjectStore]
) -> Callable[[], set[IncompleteUpload]]:
    """The multipart uploads started and neither completed nor aborted in FileAPI's bucket."""
    store = store_of(file_api_server)
    return lambda: set(store.list_incomplete_uploads())


@pytest.fixture
def in_process_api() -> Callable[[Settings], Any]:
    """Serves the app from a thread of the test's process, on settings a test chose (a broken
    dependency, a small limit), still over real HTTP on 127.0.0.1. Yields an authorised client."""

    @contextmanager
    def run(settings: Settings) -> Iterator[httpx.Client]:
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            assert wait_until(lambda: server.started, timeout=30), "the in-process FileAPI did not start"
            port = server.servers[0].sockets[0].getsockname()[1]
            token = settings.file_api_token.get_secret_value()
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as client:
                yield client
        finally:
            server.should_exit = True
            thread.join(timeout=30)

    return run


@pytest.fixture
def unused_tcp_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    return free_ports(1)[0]


def settings_of(file_api: FileAPI, **overrides: Any) -> Settings:
    """The Settings a FileAPI process runs with (from its environment), with overrides."""
    values: dict[str, Any] = {
        name.lower(): value
        for name, value in file_api.environment().items()
        if name.lower() in Settings.model_fields
    }
    return Settings(**(values | overrides))
