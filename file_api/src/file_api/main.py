"""The FastAPI application: `uvicorn --factory file_api.main:create_app`."""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker
from starlette.requests import ClientDisconnect

from file_api.api.routes import files, health, uploads
from file_api.app_env import DEVELOPMENT_BANNER
from file_api.config import Settings
from file_api.downloads import MalformedRange, RangeNotSatisfiable
from file_api.resumable import PARTS_IN_FLIGHT
from file_api.schemas import InvalidInput, ValidationErrorOut
from file_api.storage import ObjectNotFound, ObjectStore, StorageUnavailable
from file_api.uploads import FILE_FIELD, MissingFileField, UploadRejected

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(
        settings.database_url,
        pool_size=settings.file_api_db_pool_size,
        max_overflow=settings.file_api_db_max_overflow,
        pool_timeout=settings.file_api_db_pool_timeout,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )
    store = ObjectStore.from_settings(settings)
    await ensure_bucket_once_s3_answers(store, settings.file_api_startup_wait_seconds)
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.store = store
    # Per instance: bounds the part buffers of resumable uploads held at once (resumable.PARTS_IN_FLIGHT).
    app.state.part_slots = anyio.Semaphore(PARTS_IN_FLIGHT)
    yield
    engine.dispose()


async def ensure_bucket_once_s3_answers(store: ObjectStore, wait_seconds: float) -> None:
    """Makes the bucket if it is missing, waiting up to `wait_seconds` for an S3 that does not answer yet
    (still starting). Any other refusal (a wrong key) stops the start at once."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            await anyio.to_thread.run_sync(store.ensure_bucket)
            return
        except StorageUnavailable as exc:
            if time.monotonic() >= deadline:
                raise
            logger.warning("waiting for S3 to answer (%s)", exc)
            await anyio.sleep(1)


def create_app(settings: Settings | None = None) -> FastAPI:
    # FastAPI's own /docs page loads Swagger UI from a public CDN, unpinned: blank without the internet.
    # fastapi-offline serves the same page with Swagger UI's files from the package (pinned by uv.lock).
    app = FastAPIOffline(
        title="FileAPI",
        summary="Stores the online cinema's films in S3 and their metadata in Postgres.",
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        static_url="/api/docs-static",
    )
    app.state.settings = settings = settings or Settings()
    if settings.app_env == "development":
        logger.warning("%s", DEVELOPMENT_BANNER)
    app.include_router(files.router)
    app.include_router(uploads.router)
    app.include_router(health.router)
    _add_error_handlers(app)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Every failure becomes a status with a JSON `detail` (schemas.ErrorOut); a 422 also lists its `errors`.

    FastAPI's own HTTPException answers (401, 403, 404, and 404/405 for unknown routes and methods) have
    that shape already.
    """

    def error(status_code: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)

    def invalid_request(errors: list[InvalidInput]) -> JSONResponse:
        summary = "; ".join(".".join(map(str, e.loc)) + f": {e.msg}" for e in errors)
        answer = ValidationErrorOut(detail=f"invalid request: {summary}", errors=errors)
        return JSONResponse(answer.model_dump(), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI checks a parameter once per dependency declaring it (a download's short_name twice): one
        # error per place and kind. The offending input is not echoed back: it may be megabytes long.
        unique = {(tuple(e["loc"]), e["type"]): e for e in exc.errors()}.values()
        errors = [InvalidInput(loc=list(e["loc"]), msg=e["msg"], type=e["type"]) for e in unique]
        return invalid_request(errors)

    @app.exception_handler(MissingFileField)
    async def missing_file_field(_: Request, exc: MissingFileField) -> JSONResponse:
        # The body the route reads itself is validated like any other input: the same 422.
        return invalid_request([InvalidInput(loc=["body", FILE_FIELD], msg=str(exc), type="missing")])

    @app.exception_handler(UploadRejected)
    async def upload_rejected(_: Request, exc: UploadRejected) -> JSONResponse:
        return error(exc.status_code, str(exc))

    @app.exception_handler(MalformedRange)
    async def malformed_range(_: Request, exc: MalformedRange) -> JSONResponse:
        return error(status.HTTP_400_BAD_REQUEST, str(exc))

    @app.exception_handler(RangeNotSatisfiable)
    async def range_not_satisfiable(_: Request, exc: RangeNotSatisfiable) -> JSONResponse:
        return error(
            status.HTTP_416_RANGE_NOT_SATISFIABLE,
            str(exc),
            {"content-range": f"bytes */{exc.size}"},
        )

    @app.exception_handler(ObjectNotFound)
    async def object_not_found(_: Request, exc: ObjectNotFound) -> JSONResponse:
        logger.error("the object %s has a row but is missing from the bucket", exc)
        return error(status.HTTP_404_NOT_FOUND, "the file's content is missing from storage")

    @app.exception_handler(StorageUnavailable)
    async def storage_unavailable(_: Request, exc: StorageUnavailable) -> JSONResponse:
        logger.error("object storage failed: %s", exc)
        return error(status.HTTP_503_SERVICE_UNAVAILABLE, "object storage is unavailable, try again later")

    @app.exception_handler(DBAPIError)
    async def database_failed(_: Request, exc: DBAPIError) -> JSONResponse:
        logger.error("database failed: %s", exc)
        if isinstance(exc, OperationalError | InterfaceError):
            return error(status.HTTP_503_SERVICE_UNAVAILABLE, "the database is unavailable, try again later")
        return error(status.HTTP_500_INTERNAL_SERVER_ERROR, "the database refused the change")

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(_: Request, exc: PoolTimeout) -> JSONResponse:
        logger.warning("no database connection became free in time: %s", exc)
        return error(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the service is busy, try again shortly",
            {"retry-after": "1"},
        )

    @app.exception_handler(ClientDisconnect)
    async def client_disconnected(_: Request, __: ClientDisconnect) -> JSONResponse:
        # Nobody reads this answer; any part of the upload that reached S3 was aborted.
        return error(status.HTTP_400_BAD_REQUEST, "the client disconnected during the upload")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, __: Exception) -> JSONResponse:
        # A bug. The server logs the traceback after this answer; the client gets the same JSON shape.
        return error(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal error, reported in FileAPI's log")
