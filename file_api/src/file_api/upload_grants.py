"""Upload grants: a short-lived token that lets a browser send the parts of one resumable upload, and
nothing else.

The format, the one definition of it (only FileAPI issues and checks grants):

    {U}.{E}.{S}

    U = the upload session's id (a UUID, lowercase, with hyphens)
    E = the Unix time (seconds, a decimal integer) after which the grant is refused
    S = lowercase hex of HMAC-SHA256(key, message), where
        key     = FILE_API_URL_SIGNING_KEY, UTF-8 encoded
        message = f"upload-grant:{U}:{E}", ASCII

The "upload-grant:" prefix separates grants from download links (signed_links signs f"{short_name}:{E}"
with the same key, and a short_name holds no ":"), so neither can be passed off as the other. The grant
names its upload so that a grant of another upload is told apart (403) from a forged one (401). It is
sent as `Authorization: Bearer {grant}` and accepted only by the routes of that one upload session.
"""

import hashlib
import hmac
import re
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus

_GRANT = re.compile(
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{1,19})\.([0-9a-f]{64})$"
)


class GrantRefused(Exception):
    """The grant does not authorise the request; `status_code` and the message are what the client is told."""

    def __init__(self, message: str, status_code: HTTPStatus = HTTPStatus.UNAUTHORIZED) -> None:
        super().__init__(message)
        self.status_code = int(status_code)


@dataclass(frozen=True)
class Grant:
    token: str
    expires: int


def grant_signature(upload_id: uuid.UUID, expires: int, key: str) -> str:
    message = f"upload-grant:{upload_id}:{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def issue_grant(upload_id: uuid.UUID, key: str, lifetime: int) -> Grant:
    """A grant for the parts of `upload_id`, valid for `lifetime` seconds."""
    expires = int(time.time()) + lifetime
    return Grant(f"{upload_id}.{expires}.{grant_signature(upload_id, expires, key)}", expires)


def check_grant(token: str, upload_id: uuid.UUID, key: str) -> None:
    """Raises GrantRefused unless `token` is a valid, unexpired grant of `upload_id`.

    The signature is checked first: a forged grant learns nothing, not even whether it has expired."""
    match = _GRANT.match(token)
    if match is None:
        raise GrantRefused("a valid upload grant is required (Authorization: Bearer <grant>)")
    granted_id, expires, given = uuid.UUID(match[1]), int(match[2]), match[3]
    # Constant time: the comparison must not tell an attacker how many leading characters were right.
    if not hmac.compare_digest(given.encode(), grant_signature(granted_id, expires, key).encode()):
        raise GrantRefused("the upload grant's signature is not valid")
    if expires < time.time():
        raise GrantRefused("the upload grant has expired: ask the admin for a new one")
    if granted_id != upload_id:
        raise GrantRefused("this upload grant is for another upload", HTTPStatus.FORBIDDEN)
