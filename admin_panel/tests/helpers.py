"""Reading the admin's pages in tests: the changelist's rows and the autocomplete widgets of a form."""

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the test client's response type exists only in django-stubs
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

CHANGELIST_URL = "/admin/movies/filmwork/"

_SELECT_TAG = re.compile(r"<select\b[^>]*>")
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def listed_titles(response: "TestResponse") -> list[str]:
    """Titles of the films on a FilmWork changelist page, in their order."""
    assert response.status_code == 200, response
    changelist: Any = response.context["cl"]
    return [film.title for film in changelist.result_list]


def autocomplete_fields(response: "TestResponse") -> set[tuple[str, str]]:
    """(model, field) of every select2 autocomplete widget on a page, e.g. ("genrefilmwork", "genre")."""
    assert response.status_code == 200, response
    found = set()
    for tag in _SELECT_TAG.findall(response.content.decode()):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if "admin-autocomplete" in attributes.get("class", "").split():
            found.add((attributes["data-model-name"], attributes["data-field-name"]))
    return found
