"""The film upload widget's endpoints (movies/static/movies/film_upload.js): the editor's browser asks the
admin to open a direct upload of a film, to sign each part, to list the stored parts (to resume), to
complete and to cancel it (file_storage/direct_uploads.py). JSON in and out; every refusal is a 4xx with
`{"detail": "..."}` in the editor's language. Only editors who may add or change films get in, and an
upload is visible to the editor who started it only.
"""

import json
import logging
from collections.abc import Callable
from functools import wraps
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from file_storage.direct_uploads import (
    STORAGE_ERRORS,
    LocalDirectUploads,
    Part,
    UploadRefused,
    checked_checksum,
    discard,
    film_storage_of,
    part_size_for,
    uploads_for,
)
from file_storage.models import DirectUpload
from movies.forms import SNIFF_BYTES, check_film_content, check_film_name, check_film_type
from movies.models import FilmWork

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


def refusal(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def for_editors(view: View) -> View:
    """Logged-in staff who may add or change films; an upload id names only the editor's own uploads.
    Django's CSRF middleware checks every POST, PUT and DELETE (the widget sends the form's token)."""

    @wraps(view)
    def checked(request: HttpRequest, upload_id: Any = None, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_active and user.is_staff):
            return refusal(403, _("Log in to the admin to upload films."))
        if not (user.has_perm("movies.add_filmwork") or user.has_perm("movies.change_filmwork")):
            return refusal(403, _("You may not add or change films."))
        if upload_id is None:
            return view(request, **kwargs)
        upload = DirectUpload.objects.filter(id=upload_id, owner=user).first()
        if upload is None:
            return refusal(404, _("There is no such upload (it was completed, cancelled or removed)."))
        try:
            return view(request, upload, **kwargs)
        except UploadRefused as exc:
            return refusal(409, str(exc))
        except STORAGE_ERRORS as exc:
            logger.exception("direct upload %s: the storage failed", upload.id)
            return refusal(503, _("The storage failed or did not answer: %(reason)s") % {"reason": exc})

    return never_cache(checked)


def _json(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise UploadRefused(_("The request is not JSON.")) from exc
    if not isinstance(data, dict):
        raise UploadRefused(_("The request is not a JSON object."))
    return data


def _described(upload: DirectUpload) -> dict[str, Any]:
    return {
        "uploadId": str(upload.id),
        "key": upload.name,
        "filename": upload.filename,
        "size": upload.size,
        "partSize": upload.part_size,
        "partCount": upload.part_count,
        "state": upload.state,
    }


@require_http_methods(["POST"])
@for_editors
def start(request: HttpRequest) -> HttpResponse:
    """Opens an upload of one film: `{"filename", "size", "type"}` → 201 with its id, name and part size."""
    try:
        data = _json(request)
        filename = PurePath(str(data.get("filename") or "")).name[:255]
        size = data.get("size")
        content_type = str(data.get("type") or "")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            return refusal(400, _("The film's size must be a positive number of bytes."))
        check_film_name(filename)
        check_film_type(filename, content_type)
    except UploadRefused as exc:
        return refusal(400, str(exc))
    except ValidationError as exc:
        return refusal(400, exc.messages[0])
    if size > settings.FILM_MAX_FILE_BYTES:
        return refusal(
            413, _("A film may have at most %(limit)s bytes.") % {"limit": settings.FILM_MAX_FILE_BYTES}
        )
    backend = settings.FILE_STORAGE_BACKEND
    user = request.user
    assert isinstance(user, User)  # for_editors let only a logged-in editor in
    upload = DirectUpload(
        backend=backend,
        filename=filename,
        size=size,
        part_size=part_size_for(size),
        content_type=content_type or "application/octet-stream",
        owner=user,
    )
    uploads = uploads_for(backend)
    if backend != "file_api":  # FileAPI chooses its names
        upload.name = _free_name(backend, filename)
    try:
        uploads.start(upload)
    except STORAGE_ERRORS as exc:
        logger.exception("opening an upload of %r failed", filename)
        return refusal(503, _("The storage could not open the upload: %(reason)s") % {"reason": exc})
    try:
        upload.save()
    except IntegrityError:  # another upload took the name between the check and now
        uploads.abort(upload)
        return refusal(409, _("Another upload of a file with this name started just now: try again."))
    return JsonResponse(_described(upload), status=201)


def _free_name(backend: str, filename: str) -> str:
    """The name the file gets in the storage: free in the storage and among the uploads under way."""
    field = FilmWork._meta.get_field("file")
    storage = film_storage_of(backend)
    name = storage.get_available_name(field.generate_filename(None, filename), max_length=field.max_length)
    root, extension = PurePath(name).with_suffix("").as_posix(), PurePath(name).suffix
    while DirectUpload.objects.filter(backend=backend, name=name).exists():
        name = storage.get_alternative_name(root, extension)
    return name


@require_http_methods(["GET", "DELETE"])
@for_editors
def upload_detail(request: HttpRequest, upload: DirectUpload) -> HttpResponse:
    """GET: the upload, for a widget that resumes it. DELETE: cancels it, and nothing of it stays."""
    if request.method == "GET":
        return JsonResponse(_described(upload))
    discard(upload)
    return HttpResponse(status=204)


@require_http_methods(["POST"])
@for_editors
def sign_part(request: HttpRequest, upload: DirectUpload, number: int) -> HttpResponse:
    """Where and how the browser sends part `number`: `{"checksum": base64 SHA-256}` gives
    `{"url", "headers"}`."""
    _check_part(upload, number)
    checksum = checked_checksum(str(_json(request).get("checksum") or ""))
    uploads = uploads_for(upload.backend)
    signed = uploads.sign_part(upload, number, checksum)
    headers = dict(signed.headers)
    if isinstance(uploads, LocalDirectUploads):
        headers["X-CSRFToken"] = get_token(request)  # the part goes to the admin: a PUT like any other
    return JsonResponse({"url": signed.url, "headers": headers})


def _check_part(upload: DirectUpload, number: int) -> None:
    if upload.state != DirectUpload.State.UPLOADING:
        raise UploadRefused(_("This upload is complete."))
    if not 1 <= number <= upload.part_count:
        raise UploadRefused(
            _("The file has parts 1 to %(count)s, not %(number)s.")
            % {"count": upload.part_count, "number": number}
        )


@require_http_methods(["GET"])
@for_editors
def parts(request: HttpRequest, upload: DirectUpload) -> HttpResponse:
    """The parts the storage already holds: a resumed upload sends only the others."""
    stored = uploads_for(upload.backend).parts(upload)
    return JsonResponse([part.as_json() for part in stored], safe=False)


@require_http_methods(["POST"])
@for_editors
def complete(request: HttpRequest, upload: DirectUpload) -> HttpResponse:
    """`{"parts": [{"PartNumber", "ETag"}, ...]}`: checked against the storage, then the file is complete
    and waits for the film form that names it. A file that starts like a page or an image is removed."""
    if upload.state == DirectUpload.State.STORED:  # the browser asking again after a lost answer
        return JsonResponse(_described(upload))
    try:
        reported = [
            Part(int(part["PartNumber"]), str(part["ETag"])) for part in _json(request).get("parts") or []
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise UploadRefused(_("The list of parts is not a list of PartNumber and ETag.")) from exc
    uploads_for(upload.backend).complete(upload, reported)
    storage = film_storage_of(upload.backend)
    try:
        with storage.open(upload.name) as stored:
            check_film_content(upload.filename, stored.read(SNIFF_BYTES))
    except ValidationError as exc:
        storage.delete(upload.name)
        upload.delete()
        return refusal(400, exc.messages[0])
    upload.state = DirectUpload.State.STORED
    upload.save(update_fields=["name", "state"])
    return JsonResponse(_described(upload))


@require_http_methods(["PUT"])
@for_editors
def receive_part(request: HttpRequest, upload: DirectUpload, number: int) -> HttpResponse:
    """The `local` backend's parts: the admin's disk is the storage, so the part's bytes come here."""
    uploads = uploads_for(upload.backend)
    if not isinstance(uploads, LocalDirectUploads):
        return refusal(404, _("Parts of this upload go to the storage, not to the admin."))
    _check_part(upload, number)
    try:
        length = int(request.headers.get("Content-Length", ""))
    except ValueError:
        return refusal(411, _("The part's Content-Length is missing."))
    checksum = checked_checksum(request.headers.get("x-amz-checksum-sha256", ""))
    part = uploads.receive_part(upload, number, request, length, checksum)
    response = JsonResponse(part.as_json())
    response["ETag"] = part.etag
    return response


urlpatterns = [
    path("", start, name="direct-upload-start"),
    path("<uuid:upload_id>/", upload_detail, name="direct-upload"),
    path("<uuid:upload_id>/parts/", parts, name="direct-upload-parts"),
    path("<uuid:upload_id>/parts/<int:number>/", receive_part, name="direct-upload-part"),
    path("<uuid:upload_id>/parts/<int:number>/sign/", sign_part, name="direct-upload-sign"),
    path("<uuid:upload_id>/complete/", complete, name="direct-upload-complete"),
]
