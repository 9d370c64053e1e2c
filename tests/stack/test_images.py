"""The Dockerfiles: built from the workspace's one lock without dev tools, run as an unprivileged user, and
their HEALTHCHECK commands pass against the real services (and fail when nothing answers)."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest
from stack_files import SERVICE_DIRS, Instruction, dockerfile_stages

from devstack.services import AdminPanel, FileAPI
from devstack.settings import REPO_ROOT, StackConfig, free_ports

WORKSPACE = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def instructions(service_dir: str) -> list[Instruction]:
    return [i for stage in dockerfile_stages(REPO_ROOT / service_dir / "Dockerfile") for i in stage]


def final_stage(service_dir: str) -> list[Instruction]:
    return dockerfile_stages(REPO_ROOT / service_dir / "Dockerfile")[-1]


def package_name(service_dir: str) -> str:
    name: str = tomllib.loads((REPO_ROOT / service_dir / "pyproject.toml").read_text())["project"]["name"]
    return name


def run_healthcheck(service_dir: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """The image's HEALTHCHECK command, run here with the venv's python and only `env`."""
    (check,) = [i for i in final_stage(service_dir) if i.keyword == "HEALTHCHECK"]
    command = check.exec_form
    assert command[0] == "python"  # the venv's, first on the image's PATH
    return subprocess.run(
        [sys.executable, *command[1:]], env=env, capture_output=True, check=False, timeout=30
    )


@pytest.mark.parametrize("service_dir", SERVICE_DIRS)
def test_image_copies_every_workspace_manifest_before_syncing(service_dir: str) -> None:
    # uv checks the frozen lock against every member: a member left out fails the build.
    steps = instructions(service_dir)
    first_sync = next(n for n, i in enumerate(steps) if i.keyword == "RUN" and "uv sync" in i.arguments)
    copied = " ".join(i.arguments for i in steps[:first_sync] if i.keyword == "COPY")

    for member in WORKSPACE["tool"]["uv"]["workspace"]["members"]:
        assert f"{member}/pyproject.toml" in copied, member
    assert "pyproject.toml uv.lock" in copied


@pytest.mark.parametrize("service_dir", SERVICE_DIRS)
def test_image_syncs_only_its_service_from_the_frozen_lock(service_dir: str) -> None:
    syncs = [
        i.arguments for i in instructions(service_dir) if i.keyword == "RUN" and "uv sync" in i.arguments
    ]

    assert syncs
    for sync in syncs:
        for flag in ("--frozen", "--no-dev", f"--package {package_name(service_dir)}"):
            assert flag in sync, (flag, sync)


@pytest.mark.parametrize("service_dir", SERVICE_DIRS)
def test_image_installs_uv_from_pypi_at_a_pinned_version(service_dir: str) -> None:
    runs = [i.arguments for i in instructions(service_dir) if i.keyword == "RUN"]

    assert any(run.startswith("pip install --no-cache-dir uv==") for run in runs)
    assert not any("ghcr.io" in i.arguments for i in instructions(service_dir))


@pytest.mark.parametrize("service_dir", SERVICE_DIRS)
def test_image_runs_as_an_unprivileged_user(service_dir: str) -> None:
    (user,) = [i.arguments for i in final_stage(service_dir) if i.keyword == "USER"]
    uid, _, gid = user.partition(":")

    assert uid.isdigit()
    assert int(uid) > 0
    assert not gid or int(gid) > 0


@pytest.mark.parametrize("service_dir", SERVICE_DIRS)
def test_final_image_has_no_build_tools(service_dir: str) -> None:
    runs = " ".join(i.arguments for i in final_stage(service_dir) if i.keyword == "RUN")

    for tool in ("apt-get", "pip install", "uv ", "gettext"):
        assert tool not in runs


def test_base_images_match_the_python_of_the_workspace() -> None:
    python = (REPO_ROOT / ".python-version").read_text().strip()

    for service_dir in SERVICE_DIRS:
        for stage in dockerfile_stages(REPO_ROOT / service_dir / "Dockerfile"):
            assert stage[0].arguments.startswith(f"python:{python}."), stage[0]


def test_admin_image_compiles_its_translations() -> None:
    runs = [
        i.arguments
        for i in dockerfile_stages(REPO_ROOT / "admin_panel" / "Dockerfile")[0]
        if i.keyword == "RUN"
    ]

    assert any("compilemessages" in run for run in runs)


def test_build_context_leaves_out_local_state() -> None:
    rules = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    assert rules[0] == "*"  # everything out, then only what the images need back in
    reincluded = [rule[1:] for rule in rules if rule.startswith("!")]
    for private in (".env", ".venv", ".dev", ".git", "tests"):
        assert not any(private in rule for rule in reincluded), private


def test_file_api_healthcheck_passes_when_file_api_is_healthy(file_api_server: FileAPI) -> None:
    result = run_healthcheck("file_api", {"FILE_API_PORT": str(file_api_server.port)})

    assert result.returncode == 0, result.stderr


def test_admin_healthcheck_passes_when_the_admin_is_healthy(
    admin_server: AdminPanel, stack_config: StackConfig
) -> None:
    result = run_healthcheck(
        "admin_panel",
        {
            "ADMIN_PORT": str(admin_server.port),
            "DJANGO_ALLOWED_HOSTS": stack_config.env["DJANGO_ALLOWED_HOSTS"],
        },
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("service_dir", "port_setting"), [("file_api", "FILE_API_PORT"), ("admin_panel", "ADMIN_PORT")]
)
def test_healthcheck_fails_when_nothing_answers(service_dir: str, port_setting: str) -> None:
    (closed_port,) = free_ports(1)  # free: nothing listens on it

    result = run_healthcheck(service_dir, {port_setting: str(closed_port)})

    assert result.returncode == 1
    assert b"Connection refused" in result.stderr  # refused, not a broken command
