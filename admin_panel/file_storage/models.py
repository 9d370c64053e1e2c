"""Stored files whose deletion failed (kept until `manage.py retry_deletions` removes them), and films
uploaded straight to their storage that no film names yet."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFileRecord(models.Model):
    """A row about one file of a film storage: its `name` there, and which storage (`storage_field`)."""

    storage_field: ClassVar[str]
    # The file's name in the storage (for file_api, FileAPI's short_name; a direct upload's, once complete).
    name = models.CharField(_("file name"), max_length=255)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, self.storage_field)}:{self.name}"


class PendingDeletion(StoredFileRecord):
    """A file nothing refers to any more that its storage refused to delete (an outage, a timeout)."""

    storage_field = "storage"
    # The `films_<backend>` alias, not `films`: the selected backend may change before the retry.
    storage = models.CharField(_("storage"), max_length=64)
    error = models.TextField(_("last error"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt = models.DateTimeField(_("last attempt"), auto_now=True)

    class Meta:
        verbose_name = _("pending deletion")
        verbose_name_plural = _("pending deletions")
        constraints = [models.UniqueConstraint(fields=["storage", "name"], name="pending_deletion_unique")]


class DirectUpload(StoredFileRecord):
    """A film on its way from an editor's browser straight to the storage, in parts, or stored and waiting
    for the film form that names it (file_storage/direct_uploads.py). The row that names the file claims
    it and deletes this one; `manage.py reconcile_uploads` removes what stays unclaimed too long."""

    class State(models.TextChoices):
        UPLOADING = "uploading", _("uploading")
        STORED = "stored", _("stored")

    storage_field = "backend"
    # Also what the browser calls the upload: it never sees the storage's own upload id.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    backend = models.CharField(_("storage backend"), max_length=16)
    # The storage's id of the multipart upload (S3's UploadId, FileAPI's upload_id; empty for local).
    storage_upload_id = models.CharField(max_length=1024, blank=True)
    filename = models.CharField(_("original file name"), max_length=255)
    size = models.BigIntegerField(_("size"))
    part_size = models.PositiveIntegerField(_("part size"))
    content_type = models.CharField(max_length=255)
    # FileAPI's upload grant for the browser's part requests (file_api only): short-lived, one upload only.
    grant = models.TextField(blank=True)
    grant_expires_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.UPLOADING)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("editor"))
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("direct upload")
        verbose_name_plural = _("direct uploads")
        # Two uploads of film.mp4 at once must not complete into one object.
        constraints = [models.UniqueConstraint(fields=["backend", "name"], name="direct_upload_name_unique")]

    @property
    def part_count(self) -> int:
        return max(1, -(-self.size // self.part_size))

    def part_range(self, number: int) -> tuple[int, int]:
        """The offset and size of part `number` (1-based): every part is part_size, the last the rest."""
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)
