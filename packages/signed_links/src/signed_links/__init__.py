"""Signed download links: a link that opens one FileAPI file until a given time, and nothing else.

The one definition of the format, used by FileAPI (which checks the links and hands them out) and by the
admin (which signs the links of its lists itself, one HMAC per row and no request):

    /api/v1/download-stream/{short_name}?expires={E}&signature={S}

    E = the Unix time (seconds, a decimal integer) after which the link is refused
    S = lowercase hex of HMAC-SHA256(key, message), where
        key     = FILE_API_URL_SIGNING_KEY, UTF-8 encoded
        message = f"{short_name}:{E}", ASCII (a short_name never holds ":")

Nothing else is signed: the link carries no user and no other parameter, so anyone holding it may download
the file until E. Standard library only: both services' images install it.
"""

import hashlib
import hmac
import time

__all__ = ["MIN_KEY_LENGTH", "LinkRefused", "check_link", "signature", "signed_query"]

# 256 bits' worth of characters: HMAC-SHA256 is not stronger than its key.
MIN_KEY_LENGTH = 32


class LinkRefused(Exception):
    """The link does not authorise the download; the message says why."""


def signature(short_name: str, expires: int, key: str) -> str:
    message = f"{short_name}:{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signed_query(short_name: str, key: str, lifetime: int) -> dict[str, str]:
    """The query parameters that make the download link of `short_name` valid for `lifetime` seconds."""
    expires = int(time.time()) + lifetime
    return {"expires": str(expires), "signature": signature(short_name, expires, key)}


def check_link(short_name: str, expires: int | None, given_signature: str | None, key: str) -> None:
    """Raises LinkRefused unless the link is signed with `key` and not expired."""
    if expires is None or given_signature is None:
        raise LinkRefused("this download needs a signed link (expires and signature) or the bearer token")
    # Constant time: the comparison must not tell an attacker how many leading characters were right.
    if not hmac.compare_digest(given_signature.encode(), signature(short_name, expires, key).encode()):
        raise LinkRefused("the link's signature is not valid")
    if expires < time.time():
        raise LinkRefused("the link has expired: ask for a new one")
