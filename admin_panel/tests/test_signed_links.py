"""The admin signs FileAPI's download links itself (file_storage/signing.py, with the signed_links package
FileAPI checks them with): a real FileAPI process accepts them, and refuses them tampered or expired. This
guards what the package cannot: that both services read the same key, lifetime and public address."""

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import environ
import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from devstack.services import FileAPI
from file_storage.backends.file_api import FileAPIStorage
from file_storage.config import film_storages, selected_film_storage
from file_storage.signing import signature


@pytest.fixture
def storage(file_api_server: FileAPI, use_film_storages: Callable[..., Storage]) -> FileAPIStorage:
    """FileAPIStorage with the harness's settings (signing on, the same key as FileAPI), its links pointing
    straight at the FileAPI process."""
    storage = use_film_storages("file_api", FILE_API_PUBLIC_URL=file_api_server.base_url)
    assert isinstance(storage, FileAPIStorage)
    assert storage.signed_urls
    return storage


@pytest.fixture
def stored(storage: FileAPIStorage) -> str:
    return storage.save("films/solaris.mp4", ContentFile(b"frames", name="solaris.mp4"))


def link(storage: FileAPIStorage, name: str, **query: object) -> str:
    return f"{storage.url(name).split('?')[0]}?{urlencode(query)}"


def test_link_signed_by_the_admin_opens_the_file_without_token(storage: FileAPIStorage, stored: str) -> None:
    url = storage.url(stored)

    assert httpx.get(url).content == b"frames"
    part = httpx.get(url, headers={"Range": "bytes=1-3"})
    assert (part.status_code, part.content) == (206, b"ram")


def test_link_lives_twelve_hours_by_default(storage: FileAPIStorage, stored: str) -> None:
    query = parse_qs(urlsplit(storage.url(stored)).query)

    # FILE_API_SIGNED_URL_LIFETIME's default, the same as FileAPI's.
    assert int(query["expires"][0]) == pytest.approx(time.time() + 12 * 3600, abs=60)


def test_file_api_refuses_the_admins_link_tampered_or_expired(storage: FileAPIStorage, stored: str) -> None:
    query = {name: values[0] for name, values in parse_qs(urlsplit(storage.url(stored)).query).items()}
    expires, good = int(query["expires"]), query["signature"]
    expired = int(time.time()) - 1
    refused = {
        "the link's signature is not valid": [
            link(storage, stored, expires=expires, signature=good[::-1]),
            link(storage, stored, expires=expires + 3600, signature=good),
        ],
        "the link has expired: ask for a new one": [
            link(
                storage,
                stored,
                expires=expired,
                signature=signature(stored, expired, storage.url_signing_key),
            ),
        ],
        "this download needs a signed link (expires and signature) or the bearer token": [
            storage.url(stored).split("?")[0],
        ],
    }

    for detail, urls in refused.items():
        for url in urls:
            response = httpx.get(url)
            assert response.status_code == 403, url
            assert response.json() == {"detail": detail}


def test_link_signed_with_another_key_is_refused(
    file_api_server: FileAPI, use_film_storages: Callable[..., Storage], stored: str
) -> None:
    other = use_film_storages(
        "file_api",
        FILE_API_PUBLIC_URL=file_api_server.base_url,
        FILE_API_URL_SIGNING_KEY="not-the-key-file-api-checks-links-with",
    )

    assert httpx.get(other.url(stored)).status_code == 403


def test_with_signing_off_links_are_plain(use_film_storages: Callable[..., Storage]) -> None:
    storage = use_film_storages(
        "file_api", FILE_API_PUBLIC_URL="https://cinema.example", FILE_API_SIGNED_URLS="false"
    )

    assert storage.url("Q7dWSbLVRJZxm6JZ34FnHP") == (
        "https://cinema.example/api/v1/download-stream/Q7dWSbLVRJZxm6JZ34FnHP"
    )


@pytest.mark.parametrize(("signed", "needs_key"), [("true", True), ("false", False)])
def test_signing_key_is_required_only_when_signing(
    admin_environment: dict[str, str], signed: str, needs_key: bool
) -> None:
    env = environ.Env()
    env.ENVIRON = admin_environment | {"FILE_API_SIGNED_URLS": signed, "FILE_API_URL_SIGNING_KEY": ""}
    storages = film_storages(env, media_root=Path("/nonexistent"), media_url="media/")

    if needs_key:
        with pytest.raises(
            ImproperlyConfigured, match="FILE_STORAGE_BACKEND=file_api needs FILE_API_URL_SIGNING_KEY"
        ):
            selected_film_storage(env, storages, "file_api")
    else:
        assert selected_film_storage(env, storages, "file_api")["OPTIONS"]["signed_urls"] is False
