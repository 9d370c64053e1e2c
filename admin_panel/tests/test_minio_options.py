"""django-minio-backend's bucket options as config.py sets them (`films_minio`), on the harness's real
SeaweedFS: the admin creates no bucket and sets no policy, neither at start nor on a save, because its key
may do neither; the S3 server's init job does both."""

import io
from collections.abc import Callable
from typing import Any

import minio
import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.management import call_command
from minio.error import S3Error

from devstack.services import SeaweedFS
from file_storage.backends.minio import MinioFilmStorage
from file_storage.config import storage_alias

# The calls the library makes a bucket "consistent" with: the admin's key may make only the first.
BUCKET_CALLS = ("bucket_exists", "make_bucket", "set_bucket_policy")


@pytest.fixture
def bucket_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The bucket calls of every minio client, in order; each still reaches the server."""
    calls: list[str] = []

    def recorded(name: str) -> Callable[..., Any]:
        original = getattr(minio.Minio, name)

        def call(self: minio.Minio, *args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return original(self, *args, **kwargs)

        return call

    for name in BUCKET_CALLS:
        monkeypatch.setattr(minio.Minio, name, recorded(name))
    return calls


def test_the_admin_starts_without_a_bucket_call(
    use_film_storages: Callable[..., Storage], s3_server: SeaweedFS, bucket_calls: list[str]
) -> None:
    use_film_storages("minio")

    apps.get_app_config("django_minio_backend").ready()  # what every manage.py command and worker runs
    # The library's command for buckets, public policies and MINIO_POLICY_HOOKS.
    call_command("initialize_buckets", stdout=io.StringIO())

    assert bucket_calls == []


@pytest.mark.parametrize(
    ("options", "expected_calls"),
    [({}, []), ({"MINIO_BUCKET_CHECK_ON_SAVE": True}, ["bucket_exists"])],
    ids=["as configured", "MINIO_BUCKET_CHECK_ON_SAVE"],
)
def test_a_save_checks_the_bucket_only_when_asked(
    options: dict[str, Any],
    expected_calls: list[str],
    use_film_storages: Callable[..., Storage],
    s3_server: SeaweedFS,
    bucket_calls: list[str],
) -> None:
    use_film_storages("minio")
    storage = MinioFilmStorage(storage_name=storage_alias("minio"), **options)  # the rest from STORAGES

    name = storage.save("films/solaris.mp4", ContentFile(b"frames"))
    try:
        assert bucket_calls == expected_calls  # the bucket exists: nothing to create
        assert storage.open(name).read() == b"frames"
    finally:
        storage.delete(name)


def test_the_admins_key_may_neither_create_a_bucket_nor_set_a_policy(
    use_film_storages: Callable[..., Storage], temporary_s3_server: SeaweedFS
) -> None:
    """On a server of its own: were the policy accepted, no other test's bucket would turn public."""
    server = temporary_s3_server
    storage = use_film_storages(
        "minio",
        S3_ENDPOINT_URL=server.endpoint_url,
        **{name: server.config.get(name) for name in ("ADMIN_S3_ACCESS_KEY", "ADMIN_S3_SECRET_KEY")},
        ADMIN_MINIO_BUCKET=server.config.get("ADMIN_MINIO_BUCKET"),
    )
    assert isinstance(storage, MinioFilmStorage)
    assert storage.client.bucket_exists(storage.bucket)  # the init job's bucket, which the key may use

    with pytest.raises(S3Error) as refused:
        storage.client.make_bucket("admin-made-this")
    assert refused.value.code == "AccessDenied"
    with pytest.raises(S3Error) as refused:
        storage.set_bucket_to_public()  # what MINIO_PUBLIC_BUCKETS asks initialize_buckets to do
    assert refused.value.code == "AccessDenied"
