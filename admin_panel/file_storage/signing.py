"""Signed FileAPI download links, computed here: `url()` runs for every row of a list, so no request per link.

A copy of FileAPI's `file_api/signing.py`, whose docstring defines the format (the two services ship as
separate images and share no code). tests/test_signed_links.py proves that a real FileAPI accepts the links
made here and refuses tampered or expired ones: change both copies together.
"""

import hashlib
import hmac
import time


def signature(short_name: str, expires: int, key: str) -> str:
    message = f"{short_name}:{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signed_query(short_name: str, key: str, lifetime: int) -> dict[str, str]:
    """The query parameters that make the download link of `short_name` valid for `lifetime` seconds."""
    expires = int(time.time()) + lifetime
    return {"expires": str(expires), "signature": signature(short_name, expires, key)}
