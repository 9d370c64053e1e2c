"""Typed dependencies of the routes: settings, a database session, the object store, who may call."""

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from file_api.config import Settings
from file_api.models import SHORT_NAME_PATTERN, StoredFile
from file_api.signing import LinkRefused, check_link
from file_api.storage import ObjectStore


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def get_session(
    sessions: Annotated[sessionmaker[Session], Depends(get_session_factory)],
) -> Iterator[Session]:
    with sessions() as session:
        yield session


def get_store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
SessionDep = Annotated[Session, Depends(get_session)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]

ShortName = Annotated[str, Path(pattern=SHORT_NAME_PATTERN, description="the name the upload answered with")]

_bearer = HTTPBearer(auto_error=False, description="FILE_API_TOKEN")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _has_valid_token(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> bool:
    expected = settings.file_api_token.get_secret_value().encode()
    return credentials is not None and secrets.compare_digest(credentials.credentials.encode(), expected)


def require_token(settings: SettingsDep, credentials: BearerDep) -> None:
    if not _has_valid_token(settings, credentials):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


def require_download_authority(
    short_name: ShortName,
    settings: SettingsDep,
    credentials: BearerDep,
    expires: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="signed links: Unix time the link expires at")
    ] = None,
    signature: Annotated[
        str | None, Query(pattern="^[0-9a-f]{64}$", description="signed links: HMAC-SHA256, hex")
    ] = None,
) -> None:
    """With FILE_API_SIGNED_URLS on, a download needs a valid signed link or the bearer token (the admin's
    server-side reads); off, the plain link is enough."""
    if not settings.file_api_signed_urls or _has_valid_token(settings, credentials):
        return
    try:
        check_link(short_name, expires, signature, settings.file_api_url_signing_key.get_secret_value())
    except LinkRefused as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc


def get_stored_file(short_name: ShortName, sessions: SessionFactoryDep) -> StoredFile:
    """The file's row, read in a session of its own that is closed before the route runs.

    A download then streams for minutes or hours without holding a pooled connection (a
    request-scoped session would keep one, idle in transaction, until the last byte is sent).
    """
    with sessions() as session:
        stored = session.scalar(select(StoredFile).where(StoredFile.short_name == short_name))
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no file with short_name {short_name!r}")
    return stored


StoredFileDep = Annotated[StoredFile, Depends(get_stored_file)]
