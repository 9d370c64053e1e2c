"""Health of the admin: `/health/live` (the process answers) and `/health/ready` (it can do its work)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from file_storage.health import readiness


@require_GET
@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """No database, no storage: Docker restarts a container that fails this, and a restart mends
    nothing outside the process."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """200 when the database and the film storage answer, else 503; status words only (details: the log)."""
    verdict = readiness.verdict()
    body = {"status": "ok" if verdict.ready else "unavailable", "checks": verdict.checks}
    return JsonResponse(body, status=200 if verdict.ready else 503)
