"""Typed dependencies of the routes: settings, a database session, the object store, who may call."""

import secrets
import uuid
from collections.abc import Iterator
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from file_api.config import Settings
from file_api.models import SHORT_NAME_PATTERN, StoredFile, UploadSession
from file_api.resumable import find_session
from file_api.schemas import DownloadLink
from file_api.storage import ObjectStore
from file_api.upload_grants import GrantRefused, check_grant
from signed_links import MIN_KEY_LENGTH, LinkRefused, check_link, signed_query


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


def get_part_slots(request: Request) -> anyio.Semaphore:
    slots: anyio.Semaphore = request.app.state.part_slots
    return slots


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
SessionDep = Annotated[Session, Depends(get_session)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
PartSlotsDep = Annotated[anyio.Semaphore, Depends(get_part_slots)]


def get_download_link(request: Request, settings: SettingsDep) -> DownloadLink:
    """How this request's answers link to a file: its download-stream URL on the origin the request came
    to, signed for FILE_API_SIGNED_URL_LIFETIME when signing is on."""

    def download_link(short_name: str) -> str:
        url = request.url_for("download_stream", short_name=short_name)
        if settings.file_api_signed_urls:
            key = settings.file_api_url_signing_key.get_secret_value()
            url = url.include_query_params(
                **signed_query(short_name, key, settings.file_api_signed_url_lifetime)
            )
        return str(url)

    return download_link


DownloadLinkDep = Annotated[DownloadLink, Depends(get_download_link)]

ShortName = Annotated[str, Path(pattern=SHORT_NAME_PATTERN, description="the name the upload answered with")]
UploadId = Annotated[uuid.UUID, Path(description="the upload_id that opening the upload answered with")]

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


def get_grant_key(settings: SettingsDep) -> str:
    """The key upload grants are signed with; without one (signing off and no key) there are none."""
    key = settings.file_api_url_signing_key.get_secret_value()
    if len(key) < MIN_KEY_LENGTH:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"resumable uploads need FILE_API_URL_SIGNING_KEY (at least {MIN_KEY_LENGTH} characters) "
            "to sign their upload grants",
        )
    return key


GrantKeyDep = Annotated[str, Depends(get_grant_key)]


def get_upload_session(upload_id: UploadId, sessions: SessionFactoryDep) -> UploadSession:
    """The open upload session (404 "no such upload" once completed or aborted)."""
    return find_session(sessions, upload_id)


UploadSessionDep = Annotated[UploadSession, Depends(get_upload_session)]


def get_granted_upload(
    upload_id: UploadId, settings: SettingsDep, credentials: BearerDep, sessions: SessionFactoryDep
) -> UploadSession:
    """The upload session whose parts the caller may send or list: with a grant of this one session
    (the editor's browser), or the token. A grant opens nothing else: every other route wants the token."""
    if not _has_valid_token(settings, credentials):
        key = settings.file_api_url_signing_key.get_secret_value()
        try:
            if credentials is None or len(key) < MIN_KEY_LENGTH:
                raise GrantRefused("a valid upload grant is required (Authorization: Bearer <grant>)")
            check_grant(credentials.credentials, upload_id, key)
        except GrantRefused as exc:
            unauthenticated = exc.status_code == status.HTTP_401_UNAUTHORIZED
            headers = {"WWW-Authenticate": "Bearer"} if unauthenticated else None
            raise HTTPException(exc.status_code, detail=str(exc), headers=headers) from exc
    return find_session(sessions, upload_id)


GrantedUploadDep = Annotated[UploadSession, Depends(get_granted_upload)]
