"""The services of the local stack, one module each, all of the same shape (`base.Service`): Postgres,
SeaweedFS (S3), FileAPI, the admin and nginx, started in the order of `SERVICES` and stopped in reverse.

Adding a service means writing one class and listing it in `SERVICES`: most are a `ProcessService` (a
command, an environment and a health URL). The names of the process helpers (`devstack.processes`) that
callers import from here stay importable from here.
"""

from devstack.processes import ServiceError, log_tail, pid_alive, system_environment, terminate, wait_for
from devstack.services.admin_panel import AdminPanel, storage_backends
from devstack.services.base import ApplicationService, ProcessService, Service
from devstack.services.file_api import FileAPI
from devstack.services.nginx import Nginx
from devstack.services.postgres import Postgres
from devstack.services.seaweedfs import SeaweedFS
from devstack.settings import HOST

# Start order; stopped in reverse.
SERVICES: list[type[Service]] = [Postgres, SeaweedFS, FileAPI, AdminPanel, Nginx]

__all__ = [
    "HOST",
    "SERVICES",
    "AdminPanel",
    "ApplicationService",
    "FileAPI",
    "Nginx",
    "Postgres",
    "ProcessService",
    "SeaweedFS",
    "Service",
    "ServiceError",
    "log_tail",
    "pid_alive",
    "storage_backends",
    "system_environment",
    "terminate",
    "wait_for",
]
