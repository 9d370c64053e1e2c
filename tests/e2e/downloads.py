"""Downloads as a browser gets them: through nginx, hashed as they stream."""

import hashlib

import httpx
from e2e_settings import E2ESettings


def sha256_of(url: str, site: httpx.Client, e2e: E2ESettings) -> str:
    """Downloads a link through nginx (every link must point there) and returns the sha256 of its bytes."""
    assert url.startswith(e2e.base_url), f"{url} does not go through nginx at {e2e.base_url}"
    digest = hashlib.sha256()
    with site.stream("GET", url) as response:
        assert response.status_code == 200, f"{url}: {response.status_code}"
        for chunk in response.iter_bytes():
            digest.update(chunk)
    return digest.hexdigest()
