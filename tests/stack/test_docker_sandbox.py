"""The Docker sandbox (docker-sandbox/, run by `make compose-test`) can stand in for every image the stack
pulls, and its override changes nothing but the MinIO services it replaces."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from stack_files import COMPOSE_FILE, SERVICE_DIRS, compose_binary, dockerfile_stages

from devstack.settings import ENV_EXAMPLE, REPO_ROOT

SANDBOX = REPO_ROOT / "docker-sandbox"
REPLACED = {"minio", "minio-init"}  # no MinIO server or mc binary can be installed on these machines


def sandbox_config() -> dict[str, Any]:
    command = [
        str(compose_binary()), "--env-file", str(ENV_EXAMPLE),
        "--file", str(COMPOSE_FILE), "--file", str(SANDBOX / "compose.sandbox.yml"),
        "config", "--format", "json",
    ]  # fmt: skip
    environment = {
        "PATH": "/usr/bin:/bin",
        "COMPOSE_PROFILES": "minio",
        "SEAWEEDFS_VERSION": "4.48",
        "SEAWEEDFS_S3_CONFIG": "/dev/null",
    }
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_every_pulled_image_has_a_stand_in(services: dict[str, dict[str, Any]]) -> None:
    pulled = {
        spec["image"] for name, spec in services.items() if "build" not in spec and name not in REPLACED
    }
    for service_dir in SERVICE_DIRS:
        pulled |= {
            stage[0].arguments.split()[0]
            for stage in dockerfile_stages(REPO_ROOT / service_dir / "Dockerfile")
        }

    for image in pulled:
        repository = image.split(":")[0].rsplit("/", 1)[-1]
        assert (SANDBOX / "images" / repository / "Dockerfile").is_file(), f"no stand-in recipe for {image}"


def test_the_override_replaces_only_minio(services: dict[str, dict[str, Any]]) -> None:
    with_override = sandbox_config()["services"]

    assert with_override.keys() == services.keys()
    for name in services.keys() - REPLACED:
        assert with_override[name] == services[name], name
    for name in REPLACED:
        assert with_override[name]["image"].startswith("cinema-sandbox/seaweedfs:"), name
    assert "ports" not in with_override["minio"]  # SeaweedFS has no console to publish
    # Its keys come from the identities file: the root key is not in its environment.
    assert "-s3.config=/etc/seaweedfs/s3-identities.json" in with_override["minio"]["command"]
    assert not any("KEY" in name or "ROOT" in name for name in with_override["minio"].get("environment", {}))
