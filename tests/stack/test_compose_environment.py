"""Every variable Compose passes to a service is one that service reads, and what a service needs is passed.

"Reads": FileAPI's Settings fields and its start script; the admin's `env.*("NAME")` /
`os.environ.get("NAME")` calls and its start script; for the images we do not build, the variables their
documentation names plus those of the scripts and templates we mount into them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from stack_files import shell_variables

from devstack.settings import REPO_ROOT
from file_api.config import Settings

# Variables the official images document and act on.
POSTGRES_IMAGE = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "POSTGRES_INITDB_ARGS", "PGDATA"}
MINIO_IMAGE = {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_SITE_REGION", "MINIO_BROWSER_REDIRECT_URL"}
# weed reads its root S3 key from AWS_*, and Go's runtime its memory limit.
SEAWEEDFS_IMAGE = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GOMEMLIMIT"}
NGINX_IMAGE = {"NGINX_ENVSUBST_FILTER"}

NGINX_TEMPLATE = REPO_ROOT / "nginx" / "templates" / "default.conf.template"
POSTGRES_INIT_SCRIPTS = sorted((REPO_ROOT / "postgres" / "init").glob("*.sh"))
S3_INIT = REPO_ROOT / "s3" / "init.sh"
# What s3/init.sh reads for one server only: SeaweedFS's shell talks to its master; mc to the S3 API as root.
ONLY_FOR = {
    "seaweedfs-init": {"SEAWEEDFS_MASTER"},
    "minio-init": {"S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY", "S3_SECRET_KEY"},
}

# env.str("NAME"), env.bool(...), env("NAME"), os.environ.get("NAME"), os.getenv("NAME"), os.environ["NAME"]
PYTHON_READ = re.compile(
    r"""(?:\benv(?:\.\w+)?\(|\bos\.environ\.get\(|\bos\.getenv\(|\bos\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def passed(services: dict[str, Any], name: str) -> set[str]:
    return set(services[name].get("environment", {}))


def file_api_reads() -> set[str]:
    return {field.upper() for field in Settings.model_fields} | shell_variables(
        REPO_ROOT / "file_api" / "start"
    )


def admin_reads() -> set[str]:
    admin = REPO_ROOT / "admin_panel"
    sources = [
        path
        for path in admin.rglob("*.py")
        if not {"tests", "benchmarks", "migrations"} & set(path.relative_to(admin).parts)
    ]
    names = {name for path in sources for name in PYTHON_READ.findall(path.read_text())}
    return names | shell_variables(admin / "start")


def test_admin_reads_are_found() -> None:
    # Guards the pattern above: a few names read in different ways.
    assert {
        "DJANGO_SECRET_KEY",
        "S3_PUBLIC_ENDPOINT_URL",
        "DJANGO_SUPERUSER_PASSWORD",
        "GUNICORN_TIMEOUT",
    } <= (admin_reads())


def test_file_api_gets_only_what_it_reads(services: dict[str, Any]) -> None:
    assert passed(services, "file_api") - file_api_reads() == set()


def test_file_api_gets_every_setting_it_requires(services: dict[str, Any]) -> None:
    required = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}

    assert required - passed(services, "file_api") == set()


def test_admin_gets_only_what_it_reads(services: dict[str, Any]) -> None:
    assert passed(services, "admin_panel") - admin_reads() == set()


def test_postgres_gets_only_what_the_image_and_the_init_scripts_read(services: dict[str, Any]) -> None:
    init_reads = {name for script in POSTGRES_INIT_SCRIPTS for name in shell_variables(script)}

    assert passed(services, "postgres") - (POSTGRES_IMAGE | init_reads) == set()


def test_postgres_init_scripts_get_what_they_read(services: dict[str, Any]) -> None:
    assert POSTGRES_INIT_SCRIPTS
    for script in POSTGRES_INIT_SCRIPTS:
        assert shell_variables(script) - passed(services, "postgres") == set(), script.name


@pytest.mark.parametrize(("server", "image_reads"), [("minio", MINIO_IMAGE), ("seaweedfs", SEAWEEDFS_IMAGE)])
def test_an_s3_server_gets_only_what_its_image_reads(
    services: dict[str, Any], server: str, image_reads: set[str]
) -> None:
    assert passed(services, server) - image_reads == set()


@pytest.mark.parametrize("init_job", sorted(ONLY_FOR))
@pytest.mark.parametrize("direction", ["passed but not read", "read but not passed"])
def test_an_s3_init_job_gets_exactly_what_the_script_reads_for_its_server(
    services: dict[str, Any], init_job: str, direction: str
) -> None:
    others = set().union(*(names for job, names in ONLY_FOR.items() if job != init_job))
    reads, gets = shell_variables(S3_INIT) - others, passed(services, init_job)

    assert (gets - reads if direction == "passed but not read" else reads - gets) == set()


def test_nginx_gets_only_what_the_image_and_the_template_read(services: dict[str, Any]) -> None:
    assert passed(services, "nginx") - (NGINX_IMAGE | shell_variables(NGINX_TEMPLATE)) == set()


def test_nginx_template_gets_every_variable_it_uses(services: dict[str, Any]) -> None:
    # A variable left out stays in the rendered file as a literal ${NAME}.
    assert shell_variables(NGINX_TEMPLATE) - passed(services, "nginx") == set()


def test_nginx_substitutes_only_its_own_variables(services: dict[str, Any]) -> None:
    environment = services["nginx"]["environment"]
    pattern = re.compile(environment["NGINX_ENVSUBST_FILTER"])

    assert all(pattern.search(name) for name in shell_variables(NGINX_TEMPLATE))
    assert not pattern.search("HOSTNAME")
