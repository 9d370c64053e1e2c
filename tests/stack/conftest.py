"""Fixtures of the Compose stack's tests: the project as the real Compose binary resolves it."""

from __future__ import annotations

from typing import Any

import pytest
from stack_files import compose_config


@pytest.fixture(scope="session")
def project() -> dict[str, Any]:
    """docker-compose.yml resolved with .env.example and both S3 servers' profiles: every service."""
    return compose_config({"S3_SERVER": "seaweedfs,minio"})


@pytest.fixture(scope="session")
def services(project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = project["services"]
    return result
