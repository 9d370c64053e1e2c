"""`local`: Django's FileSystemStorage in DJANGO_MEDIA_ROOT, with the check every film storage answers."""

import os
from pathlib import Path

from django.core.files.storage import FileSystemStorage


class LocalFilmStorage(FileSystemStorage):
    """FileSystemStorage as it is; `check()` makes it a `FilmStorage` like the remote ones."""

    def check(self) -> str:
        location = Path(self.location)
        location.mkdir(parents=True, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise PermissionError(f"{location} is not writable")
        return f"directory {location}"
