"""Deletes a stored file once nothing refers to it: after its row is deleted, or its file replaced or
cleared, and only once that change is committed (a rolled-back change still needs the old file).

Two editors of one film must not lose its file between them: the stored name is read under a row lock,
an editor who did not touch the file never writes back the stale name of a file someone else replaced
meanwhile (the lock needs a transaction, as every admin request has one; a save in autocommit is a
single statement), and at commit time a file is deleted only if no row refers to it any more. A deletion the
storage refuses is recorded as a PendingDeletion for `manage.py retry_deletions`, never just dropped.
"""

import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models, transaction
from django.db.models.signals import post_delete, post_init, post_save, pre_save

from file_storage.backends.common import failure_text
from file_storage.config import BACKENDS, FILM_STORAGE_ALIAS, storage_alias

logger = logging.getLogger(__name__)


def delete_replaced_files(model: type[models.Model], kept_with: Mapping[str, Iterable[str]] = {}) -> None:
    """Connects the signals that delete `model`'s files from storage when they stop being used.

    `kept_with` names, per file field, fields that describe the file (its size): when a stale save is
    given the file another editor stored meanwhile, these are taken from the stored row with it.
    """
    file_fields = [field for field in model._meta.get_fields() if isinstance(field, models.FileField)]
    names = [field.attname for field in file_fields]
    companions = [name for field in file_fields for name in kept_with.get(field.name, ())]

    def remember_loaded_names(sender: Any, instance: models.Model, **kwargs: Any) -> None:
        # The raw value: reading the attribute would load a deferred field with a query of its own.
        loaded = {name: _name_of(instance.__dict__.get(name)) for name in names}
        instance._loaded_file_names = loaded  # type: ignore[attr-defined]

    def remember_stored_names(sender: Any, instance: models.Model, **kwargs: Any) -> None:
        if instance._state.adding or kwargs.get("raw"):
            return
        rows = model._default_manager.filter(pk=instance.pk)
        if transaction.get_connection(kwargs.get("using")).in_atomic_block:
            rows = rows.select_for_update()  # held until commit: the other editor's save waits for ours
        stored = rows.values(*names, *companions).first() or {}
        loaded = getattr(instance, "_loaded_file_names", {})
        for field in file_fields:
            current = getattr(instance, field.attname).name or ""
            stored_name = stored.get(field.attname) or ""
            if field.attname in loaded and current == (loaded[field.attname] or "") != stored_name:
                # Loaded before another editor replaced the file, and not changed here: keep theirs.
                logger.info("keeping %r of %s, stored by a concurrent save", stored_name, instance.pk)
                setattr(instance, field.attname, stored_name)
                for companion in kept_with.get(field.name, ()):
                    setattr(instance, companion, stored[companion])
        instance._stored_file_names = stored  # type: ignore[attr-defined]

    def delete_replaced(sender: Any, instance: models.Model, **kwargs: Any) -> None:
        stored = getattr(instance, "_stored_file_names", {})
        for field in file_fields:
            old_name = stored.get(field.attname)
            if old_name and old_name != getattr(instance, field.attname).name:
                _delete_after_commit(field, old_name)
        instance._stored_file_names = {}  # type: ignore[attr-defined]
        remember_loaded_names(sender, instance)

    def delete_with_row(sender: Any, instance: models.Model, **kwargs: Any) -> None:
        for field in file_fields:
            name = getattr(instance, field.attname).name
            if name:
                _delete_after_commit(field, name)

    uid = f"{model._meta.label}.files"
    post_init.connect(remember_loaded_names, sender=model, weak=False, dispatch_uid=f"{uid}.post_init")
    pre_save.connect(remember_stored_names, sender=model, weak=False, dispatch_uid=f"{uid}.pre_save")
    post_save.connect(delete_replaced, sender=model, weak=False, dispatch_uid=f"{uid}.post_save")
    post_delete.connect(delete_with_row, sender=model, weak=False, dispatch_uid=f"{uid}.post_delete")


def loaded_file_name(instance: models.Model, attname: str) -> str | None:
    """The name the file field `attname` of `instance` had when it was loaded or last saved (for a row not
    saved yet, the one it was created with); what a save compares with to know the file changed."""
    loaded: dict[str, str | None] = getattr(instance, "_loaded_file_names", {})
    return loaded.get(attname)


def delete_unused_file(storage: Storage, name: str) -> None:
    """Deletes a file nothing refers to any more. A storage that refuses is recorded as a
    PendingDeletion, not raised: the change that made the file unused stands, and an outage must not
    turn it into an error page."""
    try:
        storage.delete(name)
    except Exception as exc:
        alias = alias_of(storage)
        if alias is None:  # not a film storage: nothing to retry it with
            logger.exception("could not delete the unused file %r of %r; remove it by hand", name, storage)
            return
        logger.exception("could not delete the unused file %r of %s; recorded for retry", name, alias)
        record_failed_deletion(alias, name, exc)


def record_failed_deletion(alias: str, name: str, exc: BaseException) -> None:
    from file_storage.models import PendingDeletion

    try:
        pending, created = PendingDeletion.objects.get_or_create(
            storage=alias, name=name, defaults={"error": failure_text(exc)}
        )
        if not created:
            pending.error = failure_text(exc)
            pending.attempts += 1
            pending.save(update_fields=["error", "attempts", "last_attempt"])
    except Exception:  # the database is out too: the log above is all that is left
        logger.exception("could not record the failed deletion of %r of %s", name, alias)


def alias_of(storage: Storage) -> str | None:
    """The `films_<backend>` alias of a film storage instance (`films` names the selected one)."""
    if storage is storages[FILM_STORAGE_ALIAS]:
        return storage_alias(settings.FILE_STORAGE_BACKEND)
    for backend in BACKENDS:
        if storages[storage_alias(backend)] is storage:
            return storage_alias(backend)
    return None


def _name_of(value: Any) -> str | None:
    name = getattr(value, "name", value)
    return None if name is None else str(name)


def delete_if_unused(field: models.FileField, storage: Storage, name: str) -> None:
    """Deletes the file `name` of `field` from `storage` unless a row refers to it: a row saved meanwhile
    (another editor, transfer_files) may refer to the name again."""
    model = field.model
    if model._default_manager.filter(**{field.attname: name}).exists():
        logger.info("not deleting %r: a %s still refers to it", name, model._meta.label)
        return
    delete_unused_file(storage, name)


def _delete_after_commit(field: models.FileField, name: str) -> None:
    transaction.on_commit(functools.partial(delete_if_unused, field, field.storage, name))
