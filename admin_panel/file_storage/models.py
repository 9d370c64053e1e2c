"""Stored files whose deletion failed: kept until `manage.py retry_deletions` removes them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingDeletion(models.Model):
    """A file nothing refers to any more that its storage refused to delete (an outage, a timeout)."""

    # The `films_<backend>` alias, not `films`: the selected backend may change before the retry.
    storage = models.CharField(_("storage"), max_length=64)
    name = models.CharField(_("file name"), max_length=255)
    error = models.TextField(_("last error"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt = models.DateTimeField(_("last attempt"), auto_now=True)

    class Meta:
        verbose_name = _("pending deletion")
        verbose_name_plural = _("pending deletions")
        constraints = [models.UniqueConstraint(fields=["storage", "name"], name="pending_deletion_unique")]

    def __str__(self) -> str:
        return f"{self.storage}:{self.name}"
