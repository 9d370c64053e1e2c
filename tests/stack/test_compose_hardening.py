"""Every container runs with least privilege, and `make lint` (scripts/check_compose_hardening.py) fails
when a service loses a piece of it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest
from stack_files import compose_config

from devstack.settings import REPO_ROOT

CHECK = REPO_ROOT / "scripts" / "check_compose_hardening.py"
MINIO_PROFILE = {"COMPOSE_PROFILES": "minio"}


def check(config: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK)], input=json.dumps(config), capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return compose_config(MINIO_PROFILE)


def test_every_service_of_the_compose_file_passes(config: dict[str, Any]) -> None:
    result = check(config)

    assert result.returncode == 0, result.stderr
    assert set(config["services"]) == {"postgres", "minio", "minio-init", "file_api", "admin_panel", "nginx"}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("security_opt", [], "missing security_opt: no-new-privileges:true"),
        ("cap_drop", ["NET_RAW"], "missing cap_drop: [ALL]"),
        ("read_only", False, "missing read_only: true"),
        ("mem_limit", None, "missing mem_limit"),
        ("pids_limit", None, "missing pids_limit"),
    ],
)
def test_a_service_without_a_key_fails_naming_it(
    config: dict[str, Any], key: str, value: object, message: str
) -> None:
    weakened = copy.deepcopy(config)
    if value is None:
        del weakened["services"]["file_api"][key]
    else:
        weakened["services"]["file_api"][key] = value

    result = check(weakened)

    assert result.returncode == 1
    assert result.stderr.strip() == f"check-compose-hardening: service file_api: {message}"


def test_capabilities_are_added_back_only_where_an_entrypoint_switches_users(config: dict[str, Any]) -> None:
    added = {name: set(service.get("cap_add", [])) for name, service in config["services"].items()}

    assert added == {
        "postgres": {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"},
        "nginx": {"CHOWN", "SETGID", "SETUID"},
        "minio": set(),
        "minio-init": set(),
        "file_api": set(),
        "admin_panel": set(),
    }


def test_films_on_their_way_in_are_buffered_on_volumes_not_in_memory(config: dict[str, Any]) -> None:
    services = config["services"]
    targets = {
        name: {volume["target"] for volume in service.get("volumes", [])}
        for name, service in services.items()
    }

    assert "/app/uploads" in targets["admin_panel"]  # DJANGO_FILE_UPLOAD_TEMP_DIR of the image
    assert "/var/cache/nginx" in targets["nginx"]  # client_body_temp_path
    for service in services.values():
        assert not {"/app/uploads", "/var/cache/nginx"} & set(service.get("tmpfs", []))
