"""Admin support for models with files: a file is stored while the form is validated, so a storage
that refuses it (FileAPI down, file too large) is a form error, not a 500 page or a row without a file.

`StoreFilesOnValidationForm` stores; a view that shows it runs inside `unsaved_files_deleted()`, which
deletes again what no saved row names once the view is done (an inline had an error, or the transaction
rolled back). The form finds the files of its request through a ContextVar, which each thread and each
request has of its own.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext as _

from file_storage.cleanup import delete_if_unused, delete_unused_file

logger = logging.getLogger(__name__)

# A file a form stored: its field, and the name the storage gave it.
StoredFile = tuple[models.FileField, str]
# The files the forms of the view being served stored; None outside such a view.
_stored_files: ContextVar[list[StoredFile] | None] = ContextVar("stored_files", default=None)


@contextmanager
def unsaved_files_deleted() -> Iterator[None]:
    """Deletes, at the end of the block, the files forms stored in it that no row names: the row was not
    saved (an inline had an error), or the block raised (its transaction rolled back)."""
    stored: list[StoredFile] = []
    token = _stored_files.set(stored)
    try:
        yield
    except BaseException:
        for field, name in stored:
            delete_unused_file(field.storage, name)
        raise
    finally:
        _stored_files.reset(token)
    for field, name in stored:
        delete_if_unused(field, field.storage, name)


class StoreFilesOnValidationForm(forms.ModelForm):  # type: ignore[type-arg]
    def full_clean(self) -> None:
        # full_clean() runs every step of validation, the model's included (ModelForm's _post_clean); what
        # follows it sees the verdict of the whole form. Django's docs name it as the way to validate.
        super().full_clean()
        if not self.is_bound or self.errors:
            return  # a film is uploaded only with a form that is otherwise valid
        for field_name, upload in list(self.cleaned_data.items()):
            if isinstance(upload, UploadedFile):
                self._store(field_name, upload)

    def _store(self, field_name: str, upload: UploadedFile) -> None:
        model_field = self._meta.model._meta.get_field(field_name)
        assert isinstance(model_field, models.FileField)
        try:
            target = model_field.generate_filename(self.instance, upload.name or "file")
            name = model_field.storage.save(target, upload, max_length=model_field.max_length)
        except Exception as exc:
            logger.exception("storing %r failed", upload.name)
            self.add_error(field_name, _("The file could not be stored: %(reason)s") % {"reason": exc})
            return
        # From here on the field refers to the stored file: saving the row uploads nothing again.
        self.cleaned_data[field_name] = name
        setattr(self.instance, field_name, name)
        stored = _stored_files.get()
        if stored is not None:
            stored.append((model_field, name))
