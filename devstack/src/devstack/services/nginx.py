"""nginx from Debian's package in front of the stack, from the one template both stacks share."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from devstack.processes import ServiceError
from devstack.services.base import ProcessService
from devstack.settings import HOST, REPO_ROOT

# The main configuration, a data file of this package; {prefix} in it stands for nginx's own directory.
MAIN_CONFIG = resources.files("devstack.services").joinpath("nginx-main.conf")


class Nginx(ProcessService):
    """nginx from Debian's package, serving the stack's one template the way the official image does:
    `nginx/templates/default.conf.template` with its NGINX_* variables substituted, inside a main
    configuration that keeps every file (pid, logs, temp) under the state directory."""

    name = "nginx"
    port_setting = "HTTP_PORT"
    health_path = "/nginx-health"
    TEMPLATE = REPO_ROOT / "nginx" / "templates" / "default.conf.template"
    _VARIABLE = re.compile(r"\$\{(NGINX_[A-Z0-9_]+)\}")

    @property
    def prefix(self) -> Path:
        return self.config.state_dir / "nginx"

    def template_variables(self) -> dict[str, str]:
        """The values Compose gives the official image, for the native servers on 127.0.0.1."""
        buckets = [self.config.get(name) for name in ("ADMIN_S3_BUCKET", "ADMIN_MINIO_BUCKET")]
        return {
            "NGINX_LISTEN": f"{HOST}:{self.port}",
            "NGINX_ADMIN_UPSTREAM": f"{HOST}:{self.config.port('ADMIN_PORT')}",
            "NGINX_FILE_API_UPSTREAM": f"{HOST}:{self.config.port('FILE_API_PORT')}",
            "NGINX_S3_UPSTREAM": f"{HOST}:{self.config.port('S3_PORT')}",
            "NGINX_S3_BUCKETS": "|".join(re.escape(bucket) for bucket in buckets),
            "NGINX_STATIC_ROOT": str(self.config.admin_static_root),
            "NGINX_MEDIA_ROOT": str(self.config.admin_media_root),
            "NGINX_MAX_BODY_SIZE": self.config.get("NGINX_MAX_BODY_SIZE"),
        }

    def write_config(self, prefix: Path | None = None) -> Path:
        """Renders the template and the main configuration under `prefix`; returns the main file."""
        prefix = prefix or self.prefix
        variables = self.template_variables()

        def substitute(match: re.Match[str]) -> str:
            if match[1] not in variables:
                raise ServiceError(f"nginx template uses ${{{match[1]}}}, which devstack does not set")
            return variables[match[1]]

        for folder in ("conf.d", "logs", "tmp"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        server = self._VARIABLE.sub(substitute, self.TEMPLATE.read_text())
        (prefix / "conf.d" / "default.conf").write_text(server)
        main = prefix / "nginx.conf"
        main.write_text(MAIN_CONFIG.read_text().replace("{prefix}", str(prefix)))
        if os.geteuid() == 0:
            # The workers run as `nobody`: they write the temporary files of buffered requests.
            shutil.chown(prefix / "tmp", "nobody")
        return main

    def command(self) -> list[str]:
        return nginx_command(self.prefix, self.write_config())

    def check(self, prefix: Path) -> str:
        """`nginx -t` on a rendering of the configuration under `prefix`; returns nginx's report."""
        main = self.write_config(prefix)
        result = subprocess.run(
            [*nginx_command(prefix, main), "-t"], capture_output=True, text=True, check=False
        )
        if result.returncode:
            raise ServiceError(f"nginx -t failed:\n{result.stderr}")
        return result.stderr.strip()


def nginx_command(prefix: Path, main: Path) -> list[str]:
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin")
    if nginx is None:
        raise ServiceError("nginx is not installed: apt-get install nginx (scripts/install-system-packages)")
    return [nginx, "-p", str(prefix), "-c", str(main), "-e", str(prefix / "logs" / "error.log")]
