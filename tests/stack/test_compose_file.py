"""docker-compose.yml as the real Docker Compose v2 reads it: valid, closed to the outside, healthy before
use, scalable, failing fast on a missing secret, with .env.example's defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from stack_files import COMPOSE_FILE, compose_config, dockerfile_stages, run_compose

from devstack.settings import ENV_EXAMPLE, REPO_ROOT

REQUIRED_SECRETS = [
    "POSTGRES_PASSWORD",
    "FILE_API_DB_PASSWORD",
    "ADMIN_DB_PASSWORD",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "FILE_API_S3_SECRET_KEY",
    "ADMIN_S3_SECRET_KEY",
    "FILE_API_TOKEN",
    "FILE_API_URL_SIGNING_KEY",
    "DJANGO_SECRET_KEY",
    "DJANGO_SUPERUSER_PASSWORD",
]
# Compose runs as production would, whatever .env says for `make dev`.
# APP_ENV: .env.example says development, so `make up` is one command; a .env without it is production,
# which refuses the public secrets (README, "Secrets and environments").
COMPOSE_OWN_DEFAULTS = {"DJANGO_DEBUG": "false", "APP_ENV": "production"}
S3_SERVERS = ("seaweedfs", "minio")
EXTERNAL_S3 = {
    "S3_SERVER": "",
    "S3_ENDPOINT_URL": "https://s3.example.com",
    "S3_PUBLIC_ENDPOINT_URL": "https://s3.example.com",
    "NGINX_S3_UPSTREAM": "s3.example.com:443",
}


def one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart") == "no"


@pytest.mark.parametrize("server", S3_SERVERS)
def test_compose_file_is_valid_with_each_s3_server(server: str) -> None:
    result = run_compose("config", "--quiet", environment={"S3_SERVER": server})

    assert result.returncode == 0, result.stderr


def test_compose_file_is_valid_with_an_external_s3() -> None:
    result = run_compose("config", "--quiet", environment=EXTERNAL_S3)

    assert result.returncode == 0, result.stderr


def test_s3_server_chooses_the_s3_services_and_seaweedfs_is_the_default() -> None:
    chosen = {
        server: set(run_compose("config", "--services", environment={"S3_SERVER": server}).stdout.split())
        for server in ("seaweedfs", "minio", "")
    }
    default = set(run_compose("config", "--services").stdout.split())
    stack = {"postgres", "file_api", "admin_panel", "nginx"}

    assert chosen == {
        "seaweedfs": stack | {"seaweedfs", "seaweedfs-init"},
        "minio": stack | {"minio", "minio-init"},
        "": stack,  # an external S3: its buckets and keys are made there
    }
    assert default == chosen[dotenv_values(ENV_EXAMPLE)["S3_SERVER"] or ""] == chosen["seaweedfs"]


def test_external_s3_is_chosen_by_environment_alone() -> None:
    services = compose_config(EXTERNAL_S3)["services"]

    for name in ("file_api", "admin_panel"):
        assert services[name]["environment"]["S3_ENDPOINT_URL"] == "https://s3.example.com"
    assert services["admin_panel"]["environment"]["S3_PUBLIC_ENDPOINT_URL"] == "https://s3.example.com"
    assert services["nginx"]["environment"]["NGINX_S3_UPSTREAM"] == "s3.example.com:443"


@pytest.mark.parametrize("server", S3_SERVERS)
def test_either_s3_server_answers_as_s3_on_the_network(services: dict[str, Any], server: str) -> None:
    assert services[server]["networks"]["default"]["aliases"] == ["s3"]
    assert services[server]["image"].startswith(
        {"seaweedfs": "chrislusf/", "minio": "quay.io/minio/"}[server]
    )


def test_bundled_s3_is_reached_inside_and_links_point_at_nginx(services: dict[str, Any]) -> None:
    public_url = f"http://127.0.0.1:{dotenv_values(ENV_EXAMPLE)['HTTP_PORT']}"
    admin = services["admin_panel"]["environment"]

    assert services["file_api"]["environment"]["S3_ENDPOINT_URL"] == "http://s3:9000"
    assert admin["S3_ENDPOINT_URL"] == "http://s3:9000"
    assert admin["S3_PUBLIC_ENDPOINT_URL"] == public_url
    assert admin["FILE_API_PUBLIC_URL"] == public_url
    assert admin["DJANGO_CSRF_TRUSTED_ORIGINS"] == public_url
    assert admin["FILE_API_URL"] == "http://file_api:8000"
    assert services["nginx"]["environment"]["NGINX_S3_UPSTREAM"] == "s3:9000"


def test_public_url_moves_every_link_at_once() -> None:
    admin = compose_config({"PUBLIC_URL": "https://cinema.example.com"})["services"]["admin_panel"][
        "environment"
    ]

    for name in ("S3_PUBLIC_ENDPOINT_URL", "FILE_API_PUBLIC_URL", "DJANGO_CSRF_TRUSTED_ORIGINS"):
        assert admin[name] == "https://cinema.example.com"


def test_only_nginx_and_the_minio_console_publish_ports_on_loopback(services: dict[str, Any]) -> None:
    published = {
        (name, port["target"], port["host_ip"])
        for name, service in services.items()
        for port in service.get("ports", [])
    }

    assert published == {("nginx", 80, "127.0.0.1"), ("minio", 9001, "127.0.0.1")}


def test_nginx_is_published_on_http_port(services: dict[str, Any]) -> None:
    (port,) = services["nginx"]["ports"]

    assert port["published"] == dotenv_values(ENV_EXAMPLE)["HTTP_PORT"]


def test_every_long_running_service_restarts_and_has_a_healthcheck(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if one_shot(service):
            continue
        assert service.get("restart") == "unless-stopped", name
        healthcheck = service.get("healthcheck", {})
        assert not healthcheck.get("disable"), name
        if "build" in service:
            # Defined once, in the image (it also serves `docker run`); Compose must not replace it.
            assert "test" not in healthcheck, name
            dockerfile = Path(service["build"]["context"]) / service["build"]["dockerfile"]
            final_stage = dockerfile_stages(dockerfile)[-1]
            assert any(i.keyword == "HEALTHCHECK" and " CMD " in f" {i.arguments} " for i in final_stage), (
                name
            )
        else:
            assert healthcheck.get("test", ["NONE"])[0] in ("CMD", "CMD-SHELL"), name


def test_dependencies_wait_for_health_or_completion(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dependency, options in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully" if one_shot(services[dependency]) else "service_healthy"
            )
            assert options["condition"] == expected, f"{name} -> {dependency}"


def test_one_shot_services_are_awaited_by_a_long_running_one(services: dict[str, Any]) -> None:
    # Otherwise `docker compose up --wait` takes the one-shot's exit for a failure.
    for name, service in services.items():
        if one_shot(service):
            assert any(
                name in other.get("depends_on", {}) for other in services.values() if not one_shot(other)
            ), name


def test_file_api_and_the_admin_sign_links_alike(services: dict[str, Any]) -> None:
    """The admin signs the links FileAPI checks: the same switch, key and lifetime, as in .env.example."""
    names = ("FILE_API_SIGNED_URLS", "FILE_API_URL_SIGNING_KEY", "FILE_API_SIGNED_URL_LIFETIME")
    example = dotenv_values(ENV_EXAMPLE)

    for service in ("file_api", "admin_panel"):
        environment = services[service]["environment"]
        assert {name: environment[name] for name in names} == {name: example[name] for name in names}, service
    assert example["FILE_API_SIGNED_URLS"] == "true"


def test_file_api_can_be_scaled(services: dict[str, Any]) -> None:
    """`docker compose up --scale file_api=3`: nothing that must be unique per container."""
    file_api = services["file_api"]

    for key in ("container_name", "hostname", "ports", "volumes"):
        assert key not in file_api, key
    assert services["nginx"]["environment"]["NGINX_FILE_API_UPSTREAM"] == "file_api:8000"


def test_nginx_serves_the_volumes_the_admin_writes(services: dict[str, Any]) -> None:
    admin_environment = services["admin_panel"]["environment"]
    nginx_environment = services["nginx"]["environment"]
    admin_mounts = {m["target"]: m for m in services["admin_panel"]["volumes"]}
    nginx_mounts = {m["target"]: m for m in services["nginx"]["volumes"]}

    for admin_root, nginx_root in [
        ("DJANGO_STATIC_ROOT", "NGINX_STATIC_ROOT"),
        ("DJANGO_MEDIA_ROOT", "NGINX_MEDIA_ROOT"),
    ]:
        written = admin_mounts[admin_environment[admin_root]]
        served = nginx_mounts[nginx_environment[nginx_root]]
        assert written["type"] == served["type"] == "volume"
        assert written["source"] == served["source"]
        assert not written.get("read_only")
        assert served["read_only"]


@pytest.mark.parametrize("secret", REQUIRED_SECRETS)
def test_missing_secret_stops_compose_naming_it(secret: str, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    lines = ENV_EXAMPLE.read_text().splitlines()
    env_file.write_text("\n".join(line for line in lines if not line.startswith(f"{secret}=")))

    result = run_compose("config", "--quiet", env_file=env_file, environment={"S3_SERVER": "seaweedfs,minio"})

    assert result.returncode != 0
    assert secret in result.stderr
    assert "copy .env.example to .env" in result.stderr


def test_empty_secret_stops_compose(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text() + "\nDJANGO_SECRET_KEY=\n")

    result = run_compose("config", "--quiet", env_file=env_file, environment={"S3_SERVER": "seaweedfs,minio"})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_secrets_have_no_default_in_the_compose_file() -> None:
    text = COMPOSE_FILE.read_text()

    for secret in REQUIRED_SECRETS:
        assert f"${{{secret}:?" in text, secret
        assert not re.search(rf"\$\{{{secret}:?-", text), secret


def test_defaults_are_those_of_env_example() -> None:
    example = dotenv_values(ENV_EXAMPLE)
    # ${NAME:-default} whose default holds no further variable.
    defaults = re.findall(r"\$\{([A-Z][A-Z0-9_]*):-([^${}]*)\}", COMPOSE_FILE.read_text())

    assert defaults
    for name, default in defaults:
        expected = COMPOSE_OWN_DEFAULTS.get(name, example.get(name))
        if expected is not None:
            assert default == expected, name


def test_no_compose_file_version_and_no_env_file(project: dict[str, Any]) -> None:
    # Each service lists what it gets (see test_compose_environment.py); `version:` is obsolete.
    raw = COMPOSE_FILE.read_text()
    assert not re.search(r"^version:", raw, re.MULTILINE)
    assert "env_file" not in raw
    assert all("env_file" not in service for service in project["services"].values())


def test_build_context_is_the_repository_root(services: dict[str, Any]) -> None:
    for name in ("file_api", "admin_panel"):
        build = services[name]["build"]
        assert Path(build["context"]) == REPO_ROOT
        assert build["dockerfile"] == f"{name}/Dockerfile"
