"""Health check: 200 only when both dependencies answer."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import text

from file_api.api.deps import SessionDep, StoreDep
from file_api.schemas import HealthFailure, HealthOut

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthFailure}})
def health(session: SessionDep, store: StoreDep) -> HealthOut | JSONResponse:
    checks = {
        "postgres": _check(lambda: session.execute(text("SELECT 1"))),
        "s3": _check(store.ping),
    }
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        failure = HealthFailure(detail=f"unavailable: {', '.join(failed)}", checks=checks)
        return JSONResponse(failure.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return HealthOut(status="ok", checks=checks)


def _check(probe: Callable[[], Any]) -> str:
    try:
        probe()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}: {exc}".splitlines()[0]
    return "ok"
