"""FileAPIStorage: the Storage API over FileAPI, and what the admin shows when FileAPI fails."""

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from devstack.services import FileAPI
from devstack.settings import StackConfig, free_ports
from devstack.testing import running
from file_storage.backends.file_api import FileAPIError, FileAPIStorage
from movies.models import FilmWork

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_api_storage(file_api_server: FileAPI, use_film_storages: Callable[..., Storage]) -> FileAPIStorage:
    storage = use_film_storages("file_api")
    assert isinstance(storage, FileAPIStorage)
    return storage


class _FailingFileAPI(BaseHTTPRequestHandler):
    """Answers every request with the status the test chose, and counts the requests."""

    status = 500
    requests = 0

    def do_POST(self) -> None:
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b'{"detail": "something broke"}'
        self.send_response(self.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class FailingServer:
    url: str
    handler: type[_FailingFileAPI]

    @property
    def requests(self) -> int:
        return self.handler.requests


@pytest.fixture
def failing_file_api() -> Iterator[Callable[[int], FailingServer]]:
    """Starts HTTP servers on 127.0.0.1 that answer every request with one status."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int) -> FailingServer:
        handler = type("Handler", (_FailingFileAPI,), {"status": status, "requests": 0})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return FailingServer(f"http://127.0.0.1:{server.server_address[1]}", handler)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def form_error_of_upload(
    use_film_storages: Callable[..., Storage], admin_client: Client, film_form: Callable[..., dict[str, Any]]
) -> Callable[..., str]:
    """Posts the add form with a file to FileAPI configured by the environment given; asserts the form came
    back with an error on the file and no row, and returns the error."""

    def post(**environment: str) -> str:
        use_film_storages("file_api", **environment)
        upload = SimpleUploadedFile("solaris.mp4", b"frames" * 400, content_type="video/mp4")
        response = admin_client.post(reverse("admin:movies_filmwork_add"), film_form(file=upload))
        assert response.status_code == 200, "the form should come back with an error, not redirect or crash"
        assert not FilmWork.objects.exists()
        errors = response.context["adminform"].form.errors
        assert list(errors) == ["file"]
        message: str = errors["file"][0]
        return message

    return post


def test_storage_api_over_file_api(file_api_storage: FileAPIStorage) -> None:
    name = file_api_storage.save("films/Сталкер.mp4", ContentFile(b"frames", name="Сталкер.mp4"))

    assert name.isalnum()  # FileAPI's short_name, not the name asked for
    assert file_api_storage.exists(name)
    assert file_api_storage.size(name) == 6
    assert file_api_storage.open(name).read() == b"frames"
    assert name in file_api_storage.listdir("")[1]
    assert file_api_storage.listdir("films") == ([], [])
    assert abs(file_api_storage.get_created_time(name) - datetime.now(UTC)).total_seconds() < 60
    assert file_api_storage.url(name).startswith(
        f"{file_api_storage.public_url}/api/v1/download-stream/{name}?expires="
    )
    file_api_storage.delete(name)
    assert not file_api_storage.exists(name)
    file_api_storage.delete(name)  # deleting what is gone is not an error


@pytest.mark.parametrize("name", ["Q7dWSbLVRJZxm6JZ34FnHP", "films/solaris.mp4"])
def test_unknown_name_is_file_not_found(file_api_storage: FileAPIStorage, name: str) -> None:
    """A short_name FileAPI does not have (404), or a name it could never have given (422)."""
    assert not file_api_storage.exists(name)
    with pytest.raises(FileNotFoundError):
        file_api_storage.open(name)
    with pytest.raises(FileNotFoundError):
        file_api_storage.size(name)
    file_api_storage.delete(name)


def test_file_api_down_is_a_form_error(
    file_api_server: FileAPI, form_error_of_upload: Callable[..., str]
) -> None:
    message = form_error_of_upload(FILE_API_URL=f"http://127.0.0.1:{free_ports(1)[0]}")

    assert message.startswith("The file could not be stored: FileAPI is unavailable at http://127.0.0.1:")


def test_wrong_token_is_a_form_error(
    file_api_server: FileAPI, form_error_of_upload: Callable[..., str]
) -> None:
    message = form_error_of_upload(FILE_API_TOKEN="not-the-token")

    assert message == "The file could not be stored: FileAPI refused the token (FILE_API_TOKEN): " + (
        "a valid bearer token is required"
    )


def test_file_over_file_apis_limit_is_a_form_error(
    stack_config: StackConfig, file_api_server: FileAPI, form_error_of_upload: Callable[..., str]
) -> None:
    port = str(free_ports(1)[0])
    limits = {"FILE_API_PORT": port, "FILE_API_MAX_UPLOAD_BYTES": "1000"}
    small = replace(stack_config, env={**stack_config.env, **limits})
    with running(FileAPI(small)) as limited:
        message = form_error_of_upload(FILE_API_URL=limited.base_url)

    assert message == (
        "The file could not be stored: FileAPI refused the file (HTTP 413): "
        "the file is larger than the limit of 1000 bytes"
    )


def test_server_error_is_a_form_error(
    failing_file_api: Callable[[int], FailingServer], form_error_of_upload: Callable[..., str]
) -> None:
    server = failing_file_api(500)

    message = form_error_of_upload(FILE_API_URL=server.url)

    assert message == "The file could not be stored: FileAPI is unavailable (HTTP 500): something broke"
    assert server.requests == 1  # a 500 is a bug, not an outage: not retried


def test_unavailable_file_api_is_retried_then_reported(
    failing_file_api: Callable[[int], FailingServer], use_film_storages: Callable[..., Storage]
) -> None:
    server = failing_file_api(503)
    storage = use_film_storages("file_api", FILE_API_URL=server.url)
    assert isinstance(storage, FileAPIStorage)

    with pytest.raises(FileAPIError, match=r"FileAPI is unavailable \(HTTP 503\): something broke"):
        storage.save("films/solaris.mp4", ContentFile(b"frames"))

    assert server.requests == storage.retries == 3


def test_refused_connection_is_tried_three_times_in_all(
    use_film_storages: Callable[..., Storage], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_ports(1)[0]
    storage = use_film_storages("file_api", FILE_API_URL=f"http://127.0.0.1:{port}")
    assert isinstance(storage, FileAPIStorage)
    connects: list[Any] = []
    create_connection = socket.create_connection

    def counted(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[1] == port:
            connects.append(address)
        return create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counted)

    with pytest.raises(FileAPIError, match=rf"^FileAPI is unavailable at http://127.0.0.1:{port}: "):
        storage.exists("Q7dWSbLVRJZxm6JZ34FnHP")

    assert len(connects) == storage.retries == 3


def test_model_save_with_file_api_down_saves_no_row(
    file_api_server: FileAPI, use_film_storages: Callable[..., Storage]
) -> None:
    use_film_storages("file_api", FILE_API_URL=f"http://127.0.0.1:{free_ports(1)[0]}")

    with pytest.raises(FileAPIError), transaction.atomic():
        FilmWork.objects.create(title="Solaris", file=ContentFile(b"frames", name="solaris.mp4"))

    assert not FilmWork.objects.exists()
