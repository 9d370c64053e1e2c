"""The film form of the admin: a film's file must be a video (FILM_ALLOWED_EXTENSIONS and
FILM_ALLOWED_CONTENT_TYPES), refused with a form error before anything is stored."""

import re
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from file_storage.admin import StoreFilesOnValidationForm

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
    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            check_film_upload(upload)
        return upload


def check_film_upload(upload: UploadedFile) -> None:
    """Raises ValidationError unless the upload is a video by its extension, its declared type and its
    first bytes. The name and type are the client's word; the content check stops a page renamed `.mp4`."""
    name = upload.name or ""
    extension = PurePath(name).suffix.lower().lstrip(".")
    allowed_extensions = [ext.lower().lstrip(".") for ext in settings.FILM_ALLOWED_EXTENSIONS]
    if extension not in allowed_extensions:
        raise forms.ValidationError(
            _("“%(name)s” is not a film file. Allowed extensions: %(extensions)s.")
            % {"name": name, "extensions": ", ".join(allowed_extensions)},
            code="film_extension",
        )
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if declared and declared not in settings.FILM_ALLOWED_CONTENT_TYPES:
        raise forms.ValidationError(
            _("“%(name)s” was sent as %(type)s, a type a film may not have. Allowed types: %(types)s.")
            % {"name": name, "type": declared, "types": ", ".join(settings.FILM_ALLOWED_CONTENT_TYPES)},
            code="film_content_type",
        )
    if looks_like_markup(upload):
        raise forms.ValidationError(
            _("“%(name)s” holds a web page or an image (HTML, SVG, XML), not a film.") % {"name": name},
            code="film_markup",
        )


def looks_like_markup(upload: UploadedFile) -> bool:
    """Whether the content starts like HTML, SVG or XML, as a browser sniffing it would see it."""
    upload.seek(0)
    start = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if isinstance(start, str):
        start = start.encode()
    return MARKUP_START.match(start.removeprefix(UTF8_BOM).lstrip()) is not None
