"""Health check of the admin: 200 when the database and the selected file storage both answer."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from file_storage.backends import check_storage
from file_storage.config import FILM_STORAGE_ALIAS


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = {}
    for name, probe in [
        ("database", connection.ensure_connection),
        ("storage", lambda: check_storage(storages[FILM_STORAGE_ALIAS])),
    ]:
        try:
            probe()
        except Exception as exc:
            checks[name] = f"error: {exc.__class__.__name__}: {exc}".splitlines()[0]
        else:
            checks[name] = "ok"
    healthy = all(result == "ok" for result in checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "backend": settings.FILE_STORAGE_BACKEND,
        "checks": checks,
    }
    return JsonResponse(body, status=200 if healthy else 503)
