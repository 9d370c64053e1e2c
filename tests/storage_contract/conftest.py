"""Fixtures of the storage contract suite: Django's test app installed, and a fresh, empty film
storage of each backend, built from the admin's settings against the harness's real services."""

import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import environ
import pytest
from differences import expected_differences
from django.conf import settings
from django.core.files.storage import Storage
from django.test import override_settings
from django.utils.module_loading import import_string
from django_tests import PACKAGE, extracted_folder

from devstack.services import AdminPanel, SeaweedFS
from devstack.settings import StackConfig
from file_storage.config import film_storages, storage_alias

if not (extracted_folder() / PACKAGE).is_dir():
    raise pytest.UsageError(f"Django's storage tests are not in {extracted_folder()}: run `make install`")
sys.path.insert(0, str(extracted_folder()))
# Django's own runner (tests/runtests.py) installs the app of the tests it runs the same way: its
# models module must belong to an installed app to be imported at all. Its settings (tests/test_sqlite.py)
# have USE_TZ = False, which the tests of naive times assume (those of aware times set it themselves).
override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, PACKAGE], USE_TZ=False).enable()

StorageFactory = Callable[[str, str | None], Storage]


@pytest.fixture(scope="session")
def film_storage_settings(stack_config: StackConfig) -> Iterator[dict[str, dict[str, object]]]:
    """Every `films_*` entry of STORAGES, as the admin on the harness gets them."""
    env = environ.Env()
    env.ENVIRON = AdminPanel(stack_config).environment()
    configs = film_storages(env, media_root=Path(env.str("DJANGO_MEDIA_ROOT")), media_url="media/")
    # django-minio-backend reads its options back from settings.STORAGES.
    with override_settings(STORAGES={**settings.STORAGES, **configs}):
        yield configs


@pytest.fixture
def fresh_storage(
    request: pytest.FixtureRequest, film_storage_settings: dict[str, dict[str, object]]
) -> StorageFactory:
    """Builds a film storage of a backend that holds nothing yet.

    `local` gets the folder Django's test made (its assertions look there); `s3` a key prefix of its own;
    the `minio` bucket and FileAPI, which have no prefix, are emptied.
    """

    def fresh(backend: str, location: str | None) -> Storage:
        config = film_storage_settings[storage_alias(backend)]
        options = dict(config["OPTIONS"])  # type: ignore[call-overload]
        if backend == "local":
            folder = location or str(request.getfixturevalue("tmp_path"))
            options |= {"location": folder, "base_url": "/test_media_url/"}
        elif backend == "s3":
            request.getfixturevalue("s3_server")
            options["location"] = f"contract-{uuid.uuid4().hex}"
        elif backend == "minio":
            empty_bucket(request.getfixturevalue("s3_server"), str(options["MINIO_DEFAULT_BUCKET"]))
        elif backend == "file_api":
            request.getfixturevalue("file_api_server")
        storage: Storage = import_string(str(config["BACKEND"]))(**options)
        if backend == "file_api":
            empty_file_api(storage)
        return storage

    return fresh


def empty_bucket(s3: SeaweedFS, bucket: str) -> None:
    for item in s3.client.list_objects(bucket_name=bucket, recursive=True):
        s3.client.remove_object(bucket_name=bucket, object_name=item.object_name)


def empty_file_api(storage: Storage) -> None:
    for name in storage.listdir("")[1]:
        storage.delete(name)


_backend_of_test: dict[str, str] = {}
_outcomes: dict[str, Counter[str]] = defaultdict(Counter)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each listed difference as a strict expected failure, with its reason."""
    explained = expected_differences()
    for item in items:
        backend = getattr(item.cls, "storage_backend", "")
        _backend_of_test[item.nodeid] = backend
        difference = explained.get((backend, f"{getattr(item.cls, 'django_case', '')}.{item.name}"))
        if difference is not None:
            item.add_marker(pytest.mark.xfail(strict=difference.strict, reason=difference.reason))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or not report.passed:
        outcome = "expected differences" if hasattr(report, "wasxfail") else report.outcome
        _outcomes[_backend_of_test.get(report.nodeid, "")][outcome] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The README's table: Django's storage tests per backend, passed and expected differences."""
    terminalreporter.section("Django's storage tests per film storage")
    for backend, outcomes in sorted(_outcomes.items()):
        terminalreporter.write_line(
            f"{backend:>9}: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))
        )
