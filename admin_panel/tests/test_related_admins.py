"""The genres' and people's admins, and the autocomplete the film form searches them with."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("demo_catalogue")

AUTOCOMPLETE_URL = "/admin/autocomplete/"


def autocomplete(client: Client, model_name: str, field_name: str, term: str) -> list[str]:
    """What the film form's select2 widget of `model_name.field_name` offers for `term`."""
    query = {"app_label": "movies", "model_name": model_name, "field_name": field_name, "term": term}
    response = client.get(AUTOCOMPLETE_URL, query)
    assert response.status_code == 200, response
    return [result["text"] for result in response.json()["results"]]


def counts_per_row(client: Client, url: str) -> dict[str, int]:
    response = client.get(url)
    assert response.status_code == 200, response
    changelist: Any = response.context["cl"]
    return {str(row): row.film_count for row in changelist.result_list}


def test_genre_autocomplete_answers_with_matching_genres(admin_client: Client) -> None:
    assert autocomplete(admin_client, "genrefilmwork", "genre", "fi") == ["Science Fiction"]


def test_person_autocomplete_answers_with_matching_people(admin_client: Client) -> None:
    assert autocomplete(admin_client, "personfilmwork", "person", "nolan") == [
        "Christopher Nolan",
        "Jonathan Nolan",
    ]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("/admin/movies/genre/", ["<h1>Select genre to change</h1>", ">Science Fiction</a>"]),
        ("/admin/movies/genre/add/", ["<h1>Add genre</h1>", 'name="name"', 'name="description"']),
        ("/admin/movies/person/", ["<h1>Select person to change</h1>", ">Christopher Nolan</a>"]),
        ("/admin/movies/person/add/", ["<h1>Add person</h1>", 'name="full_name"']),
        (
            "/admin/movies/",
            ['href="/admin/movies/filmwork/"', 'href="/admin/movies/genre/"', 'href="/admin/movies/person/"'],
        ),
        ("/admin/", ['href="/admin/movies/"', 'href="/admin/movies/filmwork/"']),
    ],
)
def test_admin_page_shows_its_title_and_content(admin_client: Client, url: str, shown: list[str]) -> None:
    response = admin_client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert [text for text in shown if text not in page] == []


def test_genre_changelist_counts_the_films_of_each_genre(admin_client: Client) -> None:
    assert counts_per_row(admin_client, "/admin/movies/genre/")["Animation"] == 2


def test_person_changelist_counts_a_film_once_whatever_the_persons_roles_in_it(admin_client: Client) -> None:
    # Director and writer of all three of his films.
    assert counts_per_row(admin_client, "/admin/movies/person/?q=Christopher+Nolan") == {
        "Christopher Nolan": 3
    }
