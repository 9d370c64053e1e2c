"""The film file widget: Django admin's file input, plus the direct upload of film_upload.js on top of it.

With JavaScript, a film chosen or dropped goes straight to the storage in parallel parts, with a progress
bar, Cancel and Retry, and the form then carries only the upload's id (FilmWorkForm.file_upload). Without
JavaScript the file input is all there is, and the form posts the film as before.
"""

from typing import Any

from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _

UPPY = "movies/vendor/uppy-5.2.4/uppy.min.js"


class FilmUploadWidget(AdminFileWidget):
    template_name = "movies/widgets/film_upload.html"

    class Media:
        js = [UPPY, "movies/film_upload.js"]
        css = {"all": ["movies/film_upload.css"]}

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"]:
            context["film_file"] = describe_stored_film(value)
        context["film_upload"] = {
            "startUrl": reverse("direct-upload-start"),
            "hiddenField": "file_upload",
            # A film of one part or less is posted with the form: one request either way.
            "minSize": settings.DIRECT_UPLOAD_PART_SIZE,
            "allowedExtensions": [ext.lower().lstrip(".") for ext in settings.FILM_ALLOWED_EXTENSIONS],
            "text": {
                "uploading": _("Uploading %(percent)s %% · %(speed)s/s · %(left)s left"),
                "checking": _("Checking the stored film…"),
                "stored": _("Stored: %(name)s (%(size)s). Save the film to keep it."),
                "cancelled": _("Upload cancelled: nothing was stored."),
                "failed": _("The upload stopped: %(reason)s"),
                "waitForUpload": _("Wait until the film is stored, or cancel its upload."),
                "notAFilm": _("“%(name)s” is not a film file. Allowed extensions: %(extensions)s."),
            },
        }
        return context


def describe_stored_film(value: Any) -> dict[str, Any]:
    """What the change page shows of the film's file, from its row (no request to the storage but the
    link): the name it was uploaded with, its size and type, the link, and whether a browser plays it."""
    film = value.instance
    content_type = film.file_content_type
    return {
        "url": value.url,
        "name": film.file_display_name,
        "size": filesizeformat(film.file_size) if film.file_size is not None else "",
        "type": content_type,
        # What Chromium, Firefox and Safari play in <video> (MP4/M4V, WebM; MOV is MP4's container).
        "playable": content_type in PLAYABLE_TYPES,
    }


PLAYABLE_TYPES = {"video/mp4", "video/x-m4v", "video/webm", "video/quicktime"}
