"""Helpers for tests that start services themselves (throwaway settings, stopped on exit)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from devstack.services import SeaweedFS, Service
from devstack.settings import StackConfig, throwaway_config

S = TypeVar("S", bound=Service)


@contextmanager
def running(service: S) -> Iterator[S]:
    """Start the service, yield it, and stop it even when the start or the test fails."""
    try:
        service.start()
        yield service
    finally:
        service.stop()


@contextmanager
def throwaway() -> Iterator[StackConfig]:
    """Throwaway settings whose temporary state directory is removed on exit."""
    config = throwaway_config()
    try:
        yield config
    finally:
        shutil.rmtree(config.state_dir, ignore_errors=True)


@contextmanager
def temporary_s3() -> Iterator[SeaweedFS]:
    """A second SeaweedFS of its own, e.g. for a test that stops S3 (`s3.stop()`) to see what breaks."""
    with throwaway() as config, running(SeaweedFS(config)) as s3:
        yield s3
