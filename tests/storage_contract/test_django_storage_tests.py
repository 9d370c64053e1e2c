"""Django's own storage tests, from the sdist of the installed Django, run against every film storage.

Each test class of Django's that exercises a storage through its API is subclassed once per backend,
with the backend's storage in place of the one Django's `setUp` builds. The tests Django wrote stay as
they are; what a backend cannot pass by design is listed in `differences.py`, each reason once, and
marked as an expected failure by conftest.py.
"""

import contextlib
import gc
import importlib
from typing import Any

import pytest
from differences import expected_differences
from django.test import override_settings
from django_tests import PACKAGE

from file_storage.config import BACKENDS

# Django's test classes that test a storage through the Storage API (the others of tests/file_storage
# test FileSystemStorage's own options, FileField with Django's test models, or the storages registry).
DJANGO_TEST_CLASSES = {
    "tests": (
        "FileStorageTests",
        "FileSaveRaceConditionTest",
        "FileStoragePathParsing",
        "ContentFileStorageTestCase",
        "FileLikeObjectTestCase",
    ),
    "test_inmemory_storage": ("MemoryStorageIOTests", "MemoryStorageTimesTests"),
}
# These open files and never close them (InMemoryStorage does not mind): a local file left open is a
# ResourceWarning, which this project's `filterwarnings = error` would turn into a failure.
LEAVE_FILES_OPEN = {"MemoryStorageIOTests", "MemoryStorageTimesTests"}


def on_backend(case: type, backend: str) -> type:
    """Django's test class `case` with `self.storage` (and `storage_class`) of the backend."""

    def use_backend_storage(self: Any, fresh_storage: Any) -> None:
        self._fresh_storage = fresh_storage

    def set_up(self: Any) -> None:
        case.setUp(self)
        # The folder Django's setUp made, where its assertions look (only `local` stores there).
        location = getattr(self, "temp_dir", None) or getattr(self, "storage_dir", None)
        self.storage = self._fresh_storage(backend, location)
        if hasattr(case, "storage_class"):
            self.storage_class = type(self.storage)

    def sub_test(self: Any, msg: Any = None, **params: Any) -> contextlib.AbstractContextManager[None]:
        # pytest 9 reports the subtest failures of an expected failure as XPASS(strict): without
        # subtests, the first failure is the test's own.
        return contextlib.nullcontext()

    name = f"{case.__name__}_{backend}"
    members: dict[str, Any] = {
        "storage_backend": backend,
        "django_case": case.__name__,
        "use_backend_storage": pytest.fixture(autouse=True)(use_backend_storage),
        "setUp": set_up,
        "subTest": sub_test,
        "__module__": __name__,
        "__qualname__": name,
    }
    if case.__name__ in LEAVE_FILES_OPEN:
        # Collected now, the files' warnings belong to this test, whose mark ignores them.
        members["tearDown"] = lambda self: gc.collect()
        members["pytestmark"] = [
            pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
        ]
    subclass = type(name, (case,), members)
    if case.__name__ == "FileLikeObjectTestCase":
        # Its URLconf is named after Django's test app, whose package is renamed here; and its
        # `available_apps = []` would uninstall django.contrib.auth, which the admin's middleware needs.
        subclass.available_apps = None
        subclass = override_settings(ROOT_URLCONF=f"{PACKAGE}.urls")(subclass)
    return subclass


def django_cases() -> dict[str, type]:
    """Django's test classes of DJANGO_TEST_CLASSES by name, imported from the extracted sdist."""
    cases = {}
    for module_name, class_names in DJANGO_TEST_CLASSES.items():
        module = importlib.import_module(f"{PACKAGE}.{module_name}")
        cases |= {class_name: getattr(module, class_name) for class_name in class_names}
    return cases


def check_differences(cases: dict[str, type]) -> None:
    """A difference that names no test run here (a typo, a test Django removed) would explain nothing."""
    for _backend, test in expected_differences():
        class_name, _, method = test.partition(".")
        if not hasattr(cases.get(class_name), method):
            raise LookupError(f"differences.py lists {test}, which is not among Django's tests run here")


check_differences(django_cases())
# pytest collects the subclasses from the module's names: Django's own classes are not among them.
globals().update(
    {
        subclass.__name__: subclass
        for case in django_cases().values()
        for subclass in (on_backend(case, backend) for backend in BACKENDS)
    }
)
