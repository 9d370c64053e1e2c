"""The film form of the admin: a film's file must be a video (FILM_ALLOWED_EXTENSIONS and
FILM_ALLOWED_CONTENT_TYPES), refused with a form error before anything is stored. A film the upload
widget sent straight to the storage arrives as the id of its direct upload, checked the same way."""

import re
import uuid
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from file_storage.admin import StoreFilesOnValidationForm
from file_storage.models import DirectUpload
from movies.models import FilmWork
from movies.widgets import FilmUploadWidget

# Enough to see where a file's content starts: after a byte order mark and blank space.
SNIFF_BYTES = 512
UTF8_BOM = b"\xef\xbb\xbf"
# How a browser recognises a page or an image it could run (WHATWG MIME Sniffing, "identifying a resource
# with an unknown MIME type", plus SVG): a tag, then a space or `>`. Specific enough that the random bytes
# of a video never match by chance, as a bare `<` would (1 in 256).
MARKUP_START = re.compile(
    rb"<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|svg|img"
    rb"|object|embed|math)[\s>/]|<!--|<\?xml",
    re.IGNORECASE,
)


class FilmWorkForm(StoreFilesOnValidationForm):
    # Set by the upload widget (movies/static/movies/film_upload.js) once the film is in the storage: the
    # form then carries the upload's id instead of the film's bytes. Without JavaScript it stays empty
    # and the file input posts the film as before.
    file_upload = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        widgets = {"file": FilmUploadWidget}

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            check_film_upload(upload)
            self.instance.describe_file(posted_file_name(upload.name or ""))
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        upload_id = cleaned.get("file_upload")
        if upload_id and not self.has_error("file"):
            try:
                upload = stored_upload(upload_id)
            except forms.ValidationError as exc:
                self.add_error("file", exc)
            else:
                cleaned["file"] = upload.name
                self.instance.describe_file(upload.filename)
        return cleaned


def stored_upload(upload_id: uuid.UUID) -> DirectUpload:
    """The direct upload of a stored film, once checked: the upload is complete, in the selected
    storage, and the stored file has the size and a name a film may have."""
    upload = DirectUpload.objects.filter(
        id=upload_id, backend=settings.FILE_STORAGE_BACKEND, state=DirectUpload.State.STORED
    ).first()
    if upload is None:
        raise forms.ValidationError(
            _("The uploaded film is no longer waiting to be saved: upload it again."), code="film_upload_gone"
        )
    check_film_name(upload.filename)
    check_film_type(upload.filename, upload.content_type)
    storage = FilmWork._meta.get_field("file").storage
    try:
        stored_size = storage.size(upload.name)
    except FileNotFoundError:
        stored_size = None
    if stored_size != upload.size:
        raise forms.ValidationError(
            _("The uploaded film is missing from the storage or incomplete: upload it again."),
            code="film_upload_incomplete",
        )
    return upload


def posted_file_name(name: str) -> str:
    """The file's name as the editor's system has it. A browser posting a form escapes three characters
    of it (HTML's multipart/form-data encoding: `"` as %22, line breaks as %0A and %0D), which Django's
    parser leaves as they came."""
    return name.replace("%22", '"').replace("%0A", "\n").replace("%0D", "\r")


def check_film_upload(upload: UploadedFile) -> None:
    """Raises ValidationError unless the upload is a video by its extension, its declared type and its
    first bytes. The name and type are the client's word; the content check stops a page renamed `.mp4`."""
    name = upload.name or ""
    check_film_name(name)
    check_film_type(name, upload.content_type or "")
    upload.seek(0)
    start = upload.read(SNIFF_BYTES)
    upload.seek(0)
    check_film_content(name, start.encode() if isinstance(start, str) else start)


def check_film_name(name: str) -> None:
    """A film's file name must have one of FILM_ALLOWED_EXTENSIONS."""
    extension = PurePath(name).suffix.lower().lstrip(".")
    allowed_extensions = [ext.lower().lstrip(".") for ext in settings.FILM_ALLOWED_EXTENSIONS]
    if extension not in allowed_extensions:
        raise forms.ValidationError(
            _("“%(name)s” is not a film file. Allowed extensions: %(extensions)s.")
            % {"name": name, "extensions": ", ".join(allowed_extensions)},
            code="film_extension",
        )


def check_film_type(name: str, content_type: str) -> None:
    """The type the browser declares (if any) must be one of FILM_ALLOWED_CONTENT_TYPES."""
    declared = content_type.split(";")[0].strip().lower()
    if declared and declared not in settings.FILM_ALLOWED_CONTENT_TYPES:
        raise forms.ValidationError(
            _("“%(name)s” was sent as %(type)s, a type a film may not have. Allowed types: %(types)s.")
            % {"name": name, "type": declared, "types": ", ".join(settings.FILM_ALLOWED_CONTENT_TYPES)},
            code="film_content_type",
        )


def check_film_content(name: str, start: bytes) -> None:
    """The file's first bytes must not start like HTML, SVG or XML, as a browser sniffing it would see it."""
    if MARKUP_START.match(start.removeprefix(UTF8_BOM).lstrip()) is not None:
        raise forms.ValidationError(
            _("“%(name)s” holds a web page or an image (HTML, SVG, XML), not a film.") % {"name": name},
            code="film_markup",
        )
