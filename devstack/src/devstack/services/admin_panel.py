"""The Django admin started by `admin_panel/start`, as in its Docker image."""

from __future__ import annotations

from devstack.services.base import ApplicationService
from devstack.settings import HOST


class AdminPanel(ApplicationService):
    """The Django admin started by `admin_panel/start` (migrations, static files, superuser, gunicorn)."""

    name = "admin"
    port_setting = "ADMIN_PORT"
    health_path = "/health/ready"  # started means usable: database and film storage answer
    ready_timeout = 120.0  # migrations and collectstatic come first
    folder = "admin_panel"

    def environment(self) -> dict[str, str]:
        return super().environment() | {
            "ADMIN_HOST": HOST,
            "DJANGO_STATIC_ROOT": str(self.config.admin_static_root),
            "DJANGO_MEDIA_ROOT": str(self.config.admin_media_root),
        }
