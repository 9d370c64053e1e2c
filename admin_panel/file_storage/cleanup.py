"""Deletes a stored file once nothing refers to it: after its row is deleted, or its file replaced or
cleared, and only once that change is committed (a rolled-back change still needs the old file)."""

import logging
from typing import Any

from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save, pre_save

logger = logging.getLogger(__name__)


def delete_replaced_files(model: type[models.Model]) -> None:
    """Connects the signals that delete `model`'s files from storage when they stop being used."""
    file_fields = [field for field in model._meta.get_fields() if isinstance(field, models.FileField)]

    def remember_stored_names(sender: Any, instance: models.Model, **kwargs: Any) -> None:
        if instance._state.adding or kwargs.get("raw"):
            return
        names = [field.attname for field in file_fields]
        stored = model._default_manager.filter(pk=instance.pk).values(*names).first() or {}
        instance._stored_file_names = stored  # type: ignore[attr-defined]

    def delete_replaced(sender: Any, instance: models.Model, **kwargs: Any) -> None:
        stored = getattr(instance, "_stored_file_names", {})
        for field in file_fields:
            old_name = stored.get(field.attname)
            if old_name and old_name != getattr(instance, field.attname).name:
                _delete_after_commit(field.storage, old_name)
        instance._stored_file_names = {}  # type: ignore[attr-defined]

    def delete_with_row(sender: Any, instance: models.Model, **kwargs: Any) -> None:
        for field in file_fields:
            name = getattr(instance, field.attname).name
            if name:
                _delete_after_commit(field.storage, name)

    uid = f"{model._meta.label}.files"
    pre_save.connect(remember_stored_names, sender=model, weak=False, dispatch_uid=f"{uid}.pre_save")
    post_save.connect(delete_replaced, sender=model, weak=False, dispatch_uid=f"{uid}.post_save")
    post_delete.connect(delete_with_row, sender=model, weak=False, dispatch_uid=f"{uid}.post_delete")


def delete_unused_file(storage: Storage, name: str) -> None:
    """Deletes a file nothing refers to any more; a storage that refuses is logged, not raised: the
    change that made the file unused stands, and an outage must not turn it into an error page."""
    try:
        storage.delete(name)
    except Exception:
        logger.exception("could not delete the unused stored file %r; remove it by hand", name)


def _delete_after_commit(storage: Storage, name: str) -> None:
    transaction.on_commit(lambda: delete_unused_file(storage, name))
