"""The Django admin started by `admin_panel/start`, as in its Docker image; and its storage backends."""

from __future__ import annotations

import sys

from devstack.services.base import ApplicationService
from devstack.settings import HOST, REPO_ROOT


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


def storage_backends() -> tuple[str, ...]:
    """The values FILE_STORAGE_BACKEND takes, from their one home: `BACKENDS` of the admin's
    `file_storage/config.py`, which imports without Django's settings.

    The admin is a Django project run from its folder, not an installed package: its folder joins the end
    of sys.path, as pytest's `pythonpath` puts it at the front. Its dependencies are the workspace's."""
    folder = str(REPO_ROOT / AdminPanel.folder)
    if folder not in sys.path:
        sys.path.append(folder)
    from file_storage.config import BACKENDS

    return BACKENDS
