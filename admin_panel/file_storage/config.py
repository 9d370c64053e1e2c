"""The storage switch: a `films_<backend>` entry of STORAGES for every backend, and the one that
FILE_STORAGE_BACKEND selects as `films`, the storage of FilmWork.file.

Every backend stays configured (not only the selected one) so `transfer_files` can read one and write
another; only the selected backend's secrets are required at startup.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

FILM_STORAGE_ALIAS = "films"
BACKENDS = ("local", "s3", "minio", "file_api")
_REQUIRED_SETTINGS = {
    "local": (),
    "s3": ("ADMIN_S3_ACCESS_KEY", "ADMIN_S3_SECRET_KEY"),
    "minio": ("ADMIN_S3_ACCESS_KEY", "ADMIN_S3_SECRET_KEY"),
    "file_api": ("FILE_API_TOKEN",),
}


def storage_alias(backend: str) -> str:
    return f"{FILM_STORAGE_ALIAS}_{backend}"


def film_storages(env: environ.Env, *, media_root: Path, media_url: str) -> dict[str, dict[str, Any]]:
    """STORAGES entries of every backend, from the same settings Compose and `make dev` pass."""
    s3_endpoint = env.str("S3_ENDPOINT_URL", default="http://127.0.0.1:9000")
    # What a browser can reach (the internal `http://minio:9000` is not): links are presigned against it.
    s3_public_endpoint = env.str("S3_PUBLIC_ENDPOINT_URL", default=s3_endpoint)
    # The admin's own key, allowed only the objects of its two buckets (not the S3 server's root key).
    s3_access_key = env.str("ADMIN_S3_ACCESS_KEY", default="")
    s3_secret_key = env.str("ADMIN_S3_SECRET_KEY", default="")
    s3_region = env.str("S3_REGION", default="us-east-1")
    url_expiry = env.int("STORAGE_URL_EXPIRY_SECONDS", default=3600)
    minio_bucket = env.str("ADMIN_MINIO_BUCKET", default="admin-films-minio")
    file_api_url = env.str("FILE_API_URL", default="http://127.0.0.1:8001")
    return {
        storage_alias("local"): {
            "BACKEND": "file_storage.backends.local.LocalFilmStorage",
            "OPTIONS": {"location": media_root, "base_url": f"/{media_url}"},
        },
        storage_alias("s3"): {
            "BACKEND": "file_storage.backends.s3.S3FilmStorage",
            "OPTIONS": {
                "bucket_name": env.str("ADMIN_S3_BUCKET", default="admin-films-s3"),
                "endpoint_url": s3_endpoint,
                "public_endpoint_url": s3_public_endpoint,
                "access_key": s3_access_key,
                "secret_key": s3_secret_key,
                "region_name": s3_region,
                "addressing_style": "path",
                "signature_version": "s3v4",
                "file_overwrite": False,
                "querystring_expire": url_expiry,
            },
        },
        storage_alias("minio"): {
            "BACKEND": "file_storage.backends.minio.MinioFilmStorage",
            "OPTIONS": {
                # django-minio-backend reads its options back from STORAGES under this alias.
                "storage_name": storage_alias("minio"),
                "MINIO_ENDPOINT": urlsplit(s3_endpoint).netloc,
                "MINIO_USE_HTTPS": urlsplit(s3_endpoint).scheme == "https",
                "MINIO_EXTERNAL_ENDPOINT": urlsplit(s3_public_endpoint).netloc,
                "MINIO_EXTERNAL_ENDPOINT_USE_HTTPS": urlsplit(s3_public_endpoint).scheme == "https",
                "MINIO_ACCESS_KEY": s3_access_key,
                "MINIO_SECRET_KEY": s3_secret_key,
                "MINIO_REGION": s3_region,
                "MINIO_DEFAULT_BUCKET": minio_bucket,
                "MINIO_PRIVATE_BUCKETS": [minio_bucket],
                # None: a public bucket's films are anyone's, by links that never expire; and making a
                # bucket public is a policy the admin's key may not set.
                "MINIO_PUBLIC_BUCKETS": [],
                "MINIO_URL_EXPIRY_HOURS": timedelta(seconds=url_expiry),
                # Off, as by default. Buckets and their policies are the S3 server's init job's (Compose's,
                # devstack's under `make dev`): the admin's key may not create a bucket nor set a policy.
                # (The library's ready() and initialize_buckets skip subclasses of MinioBackend anyway.)
                "MINIO_CONSISTENCY_CHECK_ON_START": False,
                "MINIO_POLICY_HOOKS": [],
                # A request more per upload, for nothing: a missing bucket already fails the upload itself
                # and /health/ready, and the check could not create it.
                "MINIO_BUCKET_CHECK_ON_SAVE": False,
            },
        },
        storage_alias("file_api"): {
            "BACKEND": "file_storage.backends.file_api.FileAPIStorage",
            "OPTIONS": {
                "base_url": file_api_url,
                "public_url": env.str("FILE_API_PUBLIC_URL", default=file_api_url),
                "token": env.str("FILE_API_TOKEN", default=""),
                "timeout": env.float("FILE_API_TIMEOUT_SECONDS", default=30.0),
                # The same settings and defaults as FileAPI's: the admin signs the links FileAPI checks.
                "signed_urls": env.bool("FILE_API_SIGNED_URLS", default=True),
                "url_signing_key": env.str("FILE_API_URL_SIGNING_KEY", default=""),
                "signed_url_lifetime": env.int("FILE_API_SIGNED_URL_LIFETIME", default=12 * 3600),
            },
        },
    }


def selected_film_storage(
    env: environ.Env, storages: dict[str, dict[str, Any]], backend: str
) -> dict[str, Any]:
    """The STORAGES entry of FILE_STORAGE_BACKEND; fails at startup on an unknown value or missing secret."""
    if backend not in BACKENDS:
        raise ImproperlyConfigured(
            f"FILE_STORAGE_BACKEND={backend!r} is not a storage backend; use one of: {', '.join(BACKENDS)}"
        )
    selected = storages[storage_alias(backend)]
    required = list(_REQUIRED_SETTINGS[backend])
    if selected["OPTIONS"].get("signed_urls"):
        required.append("FILE_API_URL_SIGNING_KEY")
    missing = [name for name in required if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            f"FILE_STORAGE_BACKEND={backend} needs {', '.join(missing)} (see .env.example)"
        )
    return selected
