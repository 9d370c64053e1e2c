"""Typed dependencies of the routes: settings, a database session, the object store, the token check."""

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from file_api.config import Settings
from file_api.models import StoredFile
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

_bearer = HTTPBearer(auto_error=False, description="FILE_API_TOKEN")


def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    expected = settings.file_api_token.get_secret_value().encode()
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


def get_stored_file(short_name: str, sessions: SessionFactoryDep) -> StoredFile:
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
