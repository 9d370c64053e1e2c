"""`manage.py reconcile_uploads [--older-than SECONDS]`: removes what direct uploads left behind.

An upload the editor abandoned (tab closed, never cancelled) is aborted in its storage, and a film that
was stored but whose form was never saved is deleted, once older than DIRECT_UPLOAD_MAX_AGE_SECONDS (a
day by default): younger ones may still be under way. Multipart uploads in the `s3`/`minio` bucket that
no DirectUpload knows (the admin stopped between opening one and recording it) are aborted too. Exits
non-zero while something could not be removed, so a cron job or a person notices.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from file_storage.backends.common import failure_text
from file_storage.direct_uploads import STORAGE_ERRORS, S3DirectUploads, discard, uploads_for
from file_storage.models import DirectUpload


class Command(BaseCommand):
    help = "Abort abandoned direct uploads and delete stored films no form saved, older than the given age."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            metavar="SECONDS",
            help="age from which an upload counts as abandoned (default DIRECT_UPLOAD_MAX_AGE_SECONDS)",
        )

    def handle(self, *args: Any, older_than: int | None, **options: Any) -> None:
        age = timedelta(seconds=settings.DIRECT_UPLOAD_MAX_AGE_SECONDS if older_than is None else older_than)
        failed = 0
        abandoned = DirectUpload.objects.filter(created__lt=timezone.now() - age).order_by("created")
        for upload in abandoned:
            try:
                discard(upload)
            except STORAGE_ERRORS as exc:
                failed += 1
                self.stderr.write(f"{upload}: {failure_text(exc)}")
                continue
            self.stdout.write(f"removed {upload.state} upload {upload.filename!r} ({upload})")
        uploads = uploads_for(settings.FILE_STORAGE_BACKEND)
        if isinstance(uploads, S3DirectUploads):
            known = set(DirectUpload.objects.values_list("storage_upload_id", flat=True))
            for key, upload_id in uploads.stale_uploads(age):
                if upload_id not in known:
                    uploads.abort_key(key, upload_id)
                    self.stdout.write(f"aborted the multipart upload of {key!r} that no upload knew")
        if failed:
            raise CommandError(f"{failed} upload(s) could not be removed; run reconcile_uploads again later")
