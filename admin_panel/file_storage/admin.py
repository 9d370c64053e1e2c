"""Admin support for models with files: a file is stored while the form is validated, so a storage
that refuses it (FileAPI down, file too large) is a form error, not a 500 page or a row without a file."""

import logging
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from file_storage.cleanup import delete_unused_file

logger = logging.getLogger(__name__)


@dataclass
class FilesStoredForRequest:
    """Files one admin request stored; they are removed again unless the row referring to them is saved."""

    files: list[tuple[Storage, str]] = field(default_factory=list)
    row_saved: bool = False

    def discard(self) -> None:
        for storage, name in self.files:
            delete_unused_file(storage, name)


class StoreFilesOnValidationForm(forms.ModelForm):  # type: ignore[type-arg]
    # Set by StoredFilesAdminMixin.get_form for the request being served.
    stored_for_request: FilesStoredForRequest | None = None

    def _post_clean(self) -> None:  # Django's hook after model validation
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
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
        if self.stored_for_request is not None:
            self.stored_for_request.files.append((model_field.storage, name))


class StoredFilesAdminMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Stores files during validation, and removes them again if the row is not saved after all
    (an inline had an error) or its transaction rolled back (an exception after the upload)."""

    form = StoreFilesOnValidationForm

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        stored = FilesStoredForRequest()
        request.files_stored_for_request = stored  # type: ignore[attr-defined]
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
        except BaseException:
            stored.discard()
            raise
        if not stored.row_saved:
            stored.discard()
        return response

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        if issubclass(form_class, StoreFilesOnValidationForm):  # a class of its own for every request
            form_class.stored_for_request = getattr(request, "files_stored_for_request", None)
        return form_class

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        stored: FilesStoredForRequest | None = getattr(request, "files_stored_for_request", None)
        if stored is not None:
            stored.row_saved = True
