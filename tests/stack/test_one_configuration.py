"""Compose and the stack without Docker (devstack) run the same files: one nginx template, one start script
per service, one init script per store. A second copy would drift."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stack_files import SERVICE_DIRS, dockerfile_stages

from devstack.services import AdminPanel, FileAPI, Nginx
from devstack.services.seaweedfs import INIT_SCRIPT
from devstack.settings import REPO_ROOT, StackConfig

# What only one file may do, and that file.
SINGLE_HOMES = {
    "exec uvicorn": "file_api/start",
    "alembic upgrade head": "file_api/start",
    "exec gunicorn": "admin_panel/start",
    "manage.py migrate": "admin_panel/start",
    "manage.py collectstatic": "admin_panel/start",
    "server {": "nginx/templates/default.conf.template",
}


def mounts(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {mount["target"]: mount for mount in service.get("volumes", [])}


def test_compose_nginx_renders_the_repository_templates(services: dict[str, Any]) -> None:
    templates = mounts(services["nginx"])["/etc/nginx/templates"]

    assert Path(templates["source"]) == REPO_ROOT / "nginx" / "templates"
    assert templates["read_only"]


def test_devstack_nginx_renders_the_template_compose_mounts(
    services: dict[str, Any], stack_config: StackConfig, tmp_path: Path
) -> None:
    """What devstack's nginx serves is the file Compose mounts, with only its NGINX_* variables set."""
    mounted = Path(mounts(services["nginx"])["/etc/nginx/templates"]["source"]) / "default.conf.template"
    nginx = Nginx(stack_config)
    values = nginx.template_variables()

    nginx.write_config(tmp_path)

    expected = re.sub(r"\$\{(NGINX_[A-Z0-9_]+)\}", lambda name: values[name[1]], mounted.read_text())
    assert (tmp_path / "conf.d" / "default.conf").read_text() == expected


def test_compose_postgres_runs_the_repository_init_scripts(services: dict[str, Any]) -> None:
    init = mounts(services["postgres"])["/docker-entrypoint-initdb.d"]

    assert Path(init["source"]) == REPO_ROOT / "postgres" / "init"
    assert init["read_only"]


@pytest.mark.parametrize("init_job", ["seaweedfs-init", "minio-init"])
def test_compose_s3_init_jobs_run_the_script_make_dev_runs(services: dict[str, Any], init_job: str) -> None:
    job = services[init_job]
    (script_path,) = [target for target in mounts(job) if target in job["entrypoint"]]

    assert Path(mounts(job)[script_path]["source"]) == INIT_SCRIPT
    assert mounts(job)[script_path]["read_only"]


@pytest.mark.parametrize("service_dir", SERVICE_DIRS)
def test_image_runs_the_services_start_script(service_dir: str) -> None:
    final_stage = dockerfile_stages(REPO_ROOT / service_dir / "Dockerfile")[-1]
    (cmd,) = [i for i in final_stage if i.keyword == "CMD"]
    (workdir,) = [i.arguments for i in final_stage if i.keyword == "WORKDIR"]
    copies = [i.arguments for i in final_stage if i.keyword == "COPY"]

    assert cmd.exec_form == [f"{workdir}/start"]
    # The script comes from the service's folder: file by file, or the whole folder from the build stage.
    assert any(f"{service_dir}/start " in f"{c} " or c.endswith(f"/{service_dir} {workdir}") for c in copies)


def test_devstack_runs_the_same_start_scripts(stack_config: StackConfig) -> None:
    assert FileAPI(stack_config).command() == [str(REPO_ROOT / "file_api" / "start")]
    assert AdminPanel(stack_config).command() == [str(REPO_ROOT / "admin_panel" / "start")]


def repository_files() -> Iterator[Path]:
    """The checkout's files, without hidden directories (.git, .venv, .dev, caches) and __pycache__."""
    for directory, subdirectories, files in os.walk(REPO_ROOT):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".") and d != "__pycache__"]
        for name in files:
            yield Path(directory, name)


@pytest.mark.parametrize("phrase", sorted(SINGLE_HOMES))
def test_no_second_copy_of_a_start_step(phrase: str) -> None:
    """Documentation and comments may mention the step; only its home runs it."""
    this_file = Path(__file__).resolve()
    found = set()
    for path in repository_files():
        if path.suffix == ".md" or path.resolve() == this_file or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        code = [line for line in text.splitlines() if not re.match(r"\s*(#|//)", line)]
        if any(phrase in line for line in code):
            found.add(path.relative_to(REPO_ROOT).as_posix())

    assert found == {SINGLE_HOMES[phrase]}


@pytest.mark.parametrize(
    ("upstream", "start_script", "option"),
    [
        ("admin_panel", "admin_panel/start", "--keep-alive"),
        ("file_api", "file_api/start", "--timeout-keep-alive"),
    ],
)
def test_a_service_keeps_idle_connections_longer_than_nginx_reuses_them(
    upstream: str, start_script: str, option: str
) -> None:
    # Otherwise the service may close a connection just as nginx sends a request on it: a 502, and nginx
    # retries no POST.
    template = (REPO_ROOT / "nginx" / "templates" / "default.conf.template").read_text()
    block = re.search(rf"^upstream {upstream} \{{\n(.*?)^\}}", template, re.DOTALL | re.MULTILINE)
    assert block is not None, f"no upstream {upstream}"
    nginx_seconds = re.search(r"keepalive_timeout (\d+)s;", block.group(1))
    assert nginx_seconds is not None, f"upstream {upstream} sets no keepalive_timeout"
    service_seconds = re.search(rf"{option} (\d+)", (REPO_ROOT / start_script).read_text())
    assert service_seconds is not None, f"{start_script} sets no {option}"

    assert int(service_seconds.group(1)) > int(nginx_seconds.group(1))
