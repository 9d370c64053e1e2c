"""Readiness of the admin: do the database and the film storage answer, each within a short timeout?

A probe (Docker, a load balancer, a monitor) must never hold a sync worker for long: the checks use their own
connection and storage clients with HEALTH_CHECK_TIMEOUT_SECONDS and no retries (the storages editors use wait
30-60 s and retry), and the verdict is kept for HEALTH_CHECK_CACHE_SECONDS, so probes arriving together make
one check per process. The verdict holds status words only; what failed and why goes to the log.
"""

import functools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from botocore.config import Config
from django.conf import settings
from django.core.files.storage import Storage
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.utils.module_loading import import_string

from file_storage.backends.common import check_storage
from file_storage.backends.file_api import FileAPIStorage
from file_storage.backends.minio import MinioFilmStorage
from file_storage.backends.s3 import S3FilmStorage
from file_storage.config import FILM_STORAGE_ALIAS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]  # check name -> "ok" | "failed"
    seconds: float  # how long the checks took

    @property
    def ready(self) -> bool:
        return all(result == "ok" for result in self.checks.values())


def check_database(timeout: float) -> None:
    """A connection of its own, which gets the short timeouts (the worker's keeps the usual ones) and
    proves that the database still accepts connections."""
    probe = connection.copy()
    options = probe.settings_dict.setdefault("OPTIONS", {})
    options["connect_timeout"] = max(2, int(timeout))  # libpq counts whole seconds, 2 at least
    options["options"] = f"-c statement_timeout={int(timeout * 1000)}"
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        probe.close()


@functools.cache
def probe_storage(alias: str, timeout: float) -> Storage:
    """Another instance of the storage `alias`: its requests give up after `timeout` s, not retried."""
    entry = settings.STORAGES[alias]
    backend = import_string(entry["BACKEND"])
    options: dict[str, Any] = dict(entry.get("OPTIONS", {}))
    if issubclass(backend, FileAPIStorage):
        options |= {"timeout": timeout, "retries": 1}
    elif issubclass(backend, MinioFilmStorage):
        options["MINIO_HTTP_CLIENT"] = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False
        )
    storage: Storage = backend(**options)
    if isinstance(storage, S3FilmStorage):
        # Merged into the library's own configuration (addressing style, signature), before any client exists.
        storage.client_config = storage.client_config.merge(
            Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1})
        )
    return storage


def _check(name: str, probe: Any) -> str:
    try:
        probe()
    except Exception:
        logger.exception("readiness: the %s check failed", name)
        return "failed"
    return "ok"


class ReadinessCache:
    """The last verdict and when it was reached; one check at a time in a process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verdict: Readiness | None = None
        self._reached_at = 0.0

    def clear(self) -> None:
        with self._lock:
            self._verdict = None

    def verdict(self) -> Readiness:
        # Probes that arrive while a check runs wait for its verdict instead of starting their own.
        with self._lock:
            if (
                self._verdict is None
                or time.monotonic() - self._reached_at >= settings.HEALTH_CHECK_CACHE_SECONDS
            ):
                self._verdict = self._check()
                self._reached_at = time.monotonic()
            return self._verdict

    @staticmethod
    def _check() -> Readiness:
        timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
        started = time.monotonic()
        checks = {
            "database": _check("database", lambda: check_database(timeout)),
            "storage": _check("storage", lambda: check_storage(probe_storage(FILM_STORAGE_ALIAS, timeout))),
        }
        readiness = Readiness(checks, round(time.monotonic() - started, 3))
        if not readiness.ready:
            logger.warning("readiness: %s after %.3f s", checks, readiness.seconds)
        return readiness


readiness = ReadinessCache()


@receiver(setting_changed)
def _forget_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"STORAGES", "HEALTH_CHECK_TIMEOUT_SECONDS", "HEALTH_CHECK_CACHE_SECONDS"}:
        probe_storage.cache_clear()
        readiness.clear()
