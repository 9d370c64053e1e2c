"""Django's own storage tests, `tests/file_storage` of the sdist of the installed Django.

`make install` runs this module: it downloads the sdist that uv.lock pins for the installed version,
checks the lock's sha256, and extracts that one folder into `.cache/` as the package
`django_file_storage_tests` (Django's name for it, `file_storage`, is this project's storage app).
Nothing is copied into the repository: a Django upgrade in uv.lock brings its own tests.
"""

import hashlib
import io
import shutil
import sys
import tarfile
import tomllib
from importlib.metadata import version
from pathlib import Path

import httpx

from devstack.settings import REPO_ROOT

PACKAGE = "django_file_storage_tests"
SDIST_FOLDER = "tests/file_storage/"


def extracted_folder(django_version: str = "") -> Path:
    """The folder to put on sys.path: it holds the package `django_file_storage_tests`."""
    return REPO_ROOT / ".cache" / f"django-{django_version or version('django')}-tests"


def locked_sdist(django_version: str) -> tuple[str, str]:
    """URL and sha256 of the Django sdist uv.lock pins, which must be the installed version."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    for package in lock["package"]:
        if package["name"] == "django":
            if package["version"] != django_version:
                raise SystemExit(
                    f"Django {django_version} is installed but uv.lock pins {package['version']}: "
                    "run `make install`"
                )
            sdist = package["sdist"]
            algorithm, digest = sdist["hash"].split(":", 1)
            if algorithm != "sha256":
                raise SystemExit(f"uv.lock gives Django's sdist a {algorithm} hash; expected sha256")
            return sdist["url"], digest
    raise SystemExit("uv.lock has no Django")


def fetch() -> Path:
    """Extracts the tests once per Django version; returns their folder."""
    django_version = version("django")
    root = extracted_folder(django_version)
    if (root / PACKAGE / "tests.py").is_file():
        return root
    url, digest = locked_sdist(django_version)
    response = httpx.get(url, follow_redirects=True, timeout=60)
    response.raise_for_status()
    if hashlib.sha256(response.content).hexdigest() != digest:
        raise SystemExit(f"{url} does not match the sha256 in uv.lock: refusing to use it")
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    prefix = f"django-{django_version}/{SDIST_FOLDER}"
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith(prefix):
                target = partial / PACKAGE / member.name.removeprefix(prefix)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                assert source is not None  # a regular file always has content
                target.write_bytes(source.read())
    if not (partial / PACKAGE / "tests.py").is_file():
        raise SystemExit(f"{url} has no {SDIST_FOLDER}tests.py")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)  # all or nothing: an interrupted fetch is redone, not half-used
    return root


if __name__ == "__main__":
    print(f"Django's storage tests: {fetch().relative_to(REPO_ROOT)}", file=sys.stderr)
