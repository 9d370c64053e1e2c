"""The films' admin: the changelist with its file columns, search, filters and the form's inlines."""

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from movies.models import FilmWork, Genre, GenreFilmWork, Person, PersonFilmWork

from .helpers import CHANGELIST_URL, autocomplete_fields, listed_titles

pytestmark = pytest.mark.usefixtures("demo_catalogue")


def attach_file(title: str, name: str, size: int) -> None:
    """Gives a film a stored file the way the admin leaves it: a name and its size in the row.

    An update, not save(): save() would ask the storage for the size of a file that does not exist.
    """
    assert FilmWork.objects.filter(title=title).update(file=name, file_size=size) == 1


def test_changelist_lists_the_catalogue_with_file_size_and_download_columns(admin_client: Client) -> None:
    response = admin_client.get(CHANGELIST_URL)

    assert len(listed_titles(response)) == FilmWork.objects.count()
    assert "The Matrix" in listed_titles(response)
    assert "column-file_size_display" in response.content.decode()
    assert "column-download_link" in response.content.decode()


def test_changelist_shows_the_file_size_and_a_download_link_of_a_film_with_a_file(
    admin_client: Client,
) -> None:
    attach_file("The Matrix", "films/the-matrix.mp4", 3 * 1024**3 // 2)

    html = admin_client.get(CHANGELIST_URL, {"q": "The Matrix"}).content.decode()

    assert '<td class="field-file_size_display">1.5\xa0GB</td>' in html
    assert '<a href="/media/films/the-matrix.mp4" title="the-matrix.mp4">download</a>' in html


def test_changelist_shows_dashes_for_a_film_without_a_file(admin_client: Client) -> None:
    html = admin_client.get(CHANGELIST_URL, {"q": "The Matrix"}).content.decode()

    assert '<td class="field-file_size_display">—</td>' in html
    assert '<td class="field-download_link">—</td>' in html


def test_changelist_asks_the_storage_for_nothing_but_urls(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    attach_file("The Matrix", "films/the-matrix.mp4", 1024)

    def refuse(*args: object) -> None:
        raise AssertionError(f"the changelist asked the storage {args}: one request per film")

    for method in ("exists", "size", "open", "get_modified_time", "listdir"):
        monkeypatch.setattr(FileSystemStorage, method, refuse)

    response = admin_client.get(CHANGELIST_URL)

    assert "The Matrix" in listed_titles(response)


@pytest.mark.parametrize("url", [CHANGELIST_URL, "/admin/movies/genre/", "/admin/movies/person/"])
def test_changelist_queries_do_not_grow_with_the_number_of_rows(admin_client: Client, url: str) -> None:
    with CaptureQueriesContext(connection) as before:
        admin_client.get(url)
    genre, person = Genre.objects.create(name="Western"), Person.objects.create(full_name="Sergio Leone")
    for number in range(10):
        film = FilmWork.objects.create(title=f"A Fistful of Dollars {number}", rating=80)
        GenreFilmWork.objects.create(film_work=film, genre=genre)
        PersonFilmWork.objects.create(film_work=film, person=person, role=PersonFilmWork.Role.DIRECTOR)

    with CaptureQueriesContext(connection) as after:
        admin_client.get(url)

    assert len(after) == len(before)


def test_search_by_title_finds_the_film(admin_client: Client) -> None:
    assert listed_titles(admin_client.get(CHANGELIST_URL, {"q": "matrix"})) == ["The Matrix"]


def test_search_by_description_finds_the_film(admin_client: Client) -> None:
    assert listed_titles(admin_client.get(CHANGELIST_URL, {"q": "wormhole"})) == ["Interstellar"]


def test_search_by_a_persons_name_finds_each_of_their_films_once(admin_client: Client) -> None:
    # Christopher Nolan directed and wrote each of these: two roles, but one row per film.
    titles = listed_titles(admin_client.get(CHANGELIST_URL, {"q": "Christopher Nolan"}))

    assert sorted(titles) == ["Inception", "Interstellar", "The Dark Knight"]


def test_type_filter_narrows_the_list_to_tv_shows(admin_client: Client) -> None:
    titles = listed_titles(admin_client.get(CHANGELIST_URL, {"type__exact": FilmWork.Type.TV_SHOW}))

    assert "Breaking Bad" in titles
    assert "The Godfather" not in titles
    assert len(titles) == FilmWork.objects.filter(type=FilmWork.Type.TV_SHOW).count()


def test_genre_filter_narrows_the_list_to_the_genre(admin_client: Client) -> None:
    animation = Genre.objects.get(name="Animation")

    titles = listed_titles(admin_client.get(CHANGELIST_URL, {"genres__id__exact": str(animation.pk)}))

    assert sorted(titles) == ["Spirited Away", "Toy Story"]


def test_rating_range_filter_narrows_the_list_to_the_range(admin_client: Client) -> None:
    titles = listed_titles(admin_client.get(CHANGELIST_URL, {"rating_range": "60-80"}))

    assert sorted(titles) == ["The Irony of Fate", "Titanic"]  # both rated 79


@pytest.mark.parametrize(
    ("rating_range", "expected"),
    [
        ("0-20", ["0", "19.9"]),
        ("20-40", ["20"]),
        ("80-100", ["80", "100"]),
    ],
)
def test_rating_range_includes_its_lower_bound_and_excludes_its_upper_except_100(
    admin_client: Client, rating_range: str, expected: list[str]
) -> None:
    FilmWork.objects.all().delete()
    for rating in (0, 19.9, 20, 79.9, 80, 100):
        FilmWork.objects.create(title=f"{rating:g}", rating=rating)

    titles = listed_titles(admin_client.get(CHANGELIST_URL, {"rating_range": rating_range}))

    assert sorted(titles, key=float) == expected


def test_no_rating_filter_lists_only_films_without_a_rating(admin_client: Client) -> None:
    FilmWork.objects.create(title="Untitled Project", rating=None)

    titles = listed_titles(admin_client.get(CHANGELIST_URL, {"rating_range": "none"}))

    assert titles == ["Untitled Project"]


def test_add_page_has_genre_and_people_inlines_with_autocomplete(admin_client: Client) -> None:
    response = admin_client.get(f"{CHANGELIST_URL}add/")

    assert autocomplete_fields(response) == {("genrefilmwork", "genre"), ("personfilmwork", "person")}
    # One blank row of each inline, ready to fill in, besides the template of further rows.
    assert 'name="genrefilmwork_set-0-genre"' in response.content.decode()
    assert 'name="personfilmwork_set-0-person"' in response.content.decode()


def test_change_page_shows_the_films_genres_and_people_with_autocomplete(admin_client: Client) -> None:
    film = FilmWork.objects.get(title="Inception")

    response = admin_client.get(f"{CHANGELIST_URL}{film.pk}/change/")

    assert autocomplete_fields(response) == {("genrefilmwork", "genre"), ("personfilmwork", "person")}
    html = response.content.decode()
    for shown in ("Science Fiction", "Leonardo DiCaprio", "Christopher Nolan"):
        assert f">{shown}</option>" in html
