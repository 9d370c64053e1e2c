"""FileAPI, the file service, as the stack runs it."""

from __future__ import annotations

from devstack.services.base import ApplicationService
from devstack.settings import HOST


class FileAPI(ApplicationService):
    """FileAPI started by `file_api/start` (migrations, then uvicorn), as in its Docker image."""

    name = "file_api"
    port_setting = "FILE_API_PORT"
    health_path = "/api/v1/health"
    folder = "file_api"

    @property
    def token(self) -> str:
        return self.config.get("FILE_API_TOKEN")

    def environment(self) -> dict[str, str]:
        return super().environment() | {"FILE_API_HOST": HOST}
