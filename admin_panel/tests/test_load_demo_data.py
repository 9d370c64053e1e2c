"""`manage.py load_demo_data`: a realistic catalogue, loaded again without duplicates, never reverting
an editor's change; `--if-empty` loads it only into an empty catalogue."""

import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Count, Model

from movies.models import FilmWork, Genre, GenreFilmWork, Person, PersonFilmWork

pytestmark = pytest.mark.django_db

CATALOGUE: list[type[Model]] = [Genre, Person, FilmWork, GenreFilmWork, PersonFilmWork]


def load_demo_data() -> str:
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, set[tuple[object, ...]]]:
    """Every catalogue row with its id and, where kept, its modification time."""
    rows: dict[str, set[tuple[object, ...]]] = {}
    for model in CATALOGUE:
        fields = (
            ["pk", "modified"] if any(field.name == "modified" for field in model._meta.fields) else ["pk"]
        )
        rows[model.__name__] = set(model._default_manager.values_list(*fields))
    return rows


def test_demo_catalogue_is_a_few_dozen_films_with_genres_and_people() -> None:
    load_demo_data()

    assert 24 <= FilmWork.objects.count() <= 60
    assert 10 <= Genre.objects.count() <= 15
    assert set(FilmWork.objects.values_list("type", flat=True)) == set(FilmWork.Type)
    assert set(PersonFilmWork.objects.values_list("role", flat=True)) == set(PersonFilmWork.Role)
    assert not FilmWork.objects.filter(genres=None).exists()
    assert not FilmWork.objects.exclude(file="").exists()  # the demo has no files


def test_demo_links_people_to_films_in_their_roles() -> None:
    load_demo_data()

    roles = set(
        PersonFilmWork.objects.filter(film_work__title="Inception").values_list("person__full_name", "role")
    )
    assert ("Christopher Nolan", "director") in roles
    assert ("Christopher Nolan", "writer") in roles
    assert ("Leonardo DiCaprio", "actor") in roles


def test_loading_twice_creates_no_duplicates() -> None:
    load_demo_data()
    counts = {model.__name__: model._default_manager.count() for model in CATALOGUE}

    load_demo_data()

    assert {model.__name__: model._default_manager.count() for model in CATALOGUE} == counts
    assert not Person.objects.values("full_name").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert not FilmWork.objects.values("type", "title").annotate(n=Count("pk")).filter(n__gt=1).exists()


def test_loading_twice_changes_nothing_and_says_so() -> None:
    load_demo_data()
    before = snapshot()

    output = load_demo_data()

    assert snapshot() == before
    lines = output.splitlines()
    assert len(lines) == len(CATALOGUE), output
    for line in lines:
        assert re.fullmatch(r"[\w ]+: 0 created, [1-9]\d* kept", line), output


def test_loading_again_keeps_an_editors_change_to_a_demo_film() -> None:
    load_demo_data()
    matrix = FilmWork.objects.get(title="The Matrix")
    matrix.rating, matrix.description = 12, "Edited by an editor."
    matrix.save()

    output = load_demo_data()

    matrix.refresh_from_db()
    assert (matrix.rating, matrix.description) == (12, "Edited by an editor.")
    assert "film works: 0 created" in output


def test_loading_again_finds_a_renamed_demo_film() -> None:
    load_demo_data()
    FilmWork.objects.filter(title="The Matrix").update(title="Matrix (1999)")
    films = FilmWork.objects.count()

    load_demo_data()

    assert FilmWork.objects.count() == films
    assert not FilmWork.objects.filter(title="The Matrix").exists()


def test_a_genre_deleted_and_created_again_by_an_editor_is_found_by_its_name() -> None:
    load_demo_data()
    Genre.objects.get(name="Drama").delete()
    drama = Genre.objects.create(name="Drama", description="An editor's own words.")

    output = load_demo_data()

    assert Genre.objects.get(name="Drama") == drama
    assert Genre.objects.get(name="Drama").description == "An editor's own words."
    assert "genres: 0 created" in output
    assert FilmWork.objects.filter(genres=drama).exists()  # demo films are linked to it again


def test_if_empty_loads_into_an_empty_catalogue() -> None:
    output = io.StringIO()
    call_command("load_demo_data", "--if-empty", stdout=output)

    assert FilmWork.objects.count() >= 24
    assert "film works: " in output.getvalue()


def test_if_empty_leaves_a_catalogue_with_rows_alone() -> None:
    Genre.objects.create(name="Drama")
    output = io.StringIO()

    call_command("load_demo_data", "--if-empty", stdout=output)

    assert output.getvalue() == "the catalogue is not empty: demo data not loaded\n"
    assert list(Genre.objects.values_list("name", flat=True)) == ["Drama"]
    assert not FilmWork.objects.exists()


def test_loading_keeps_a_genre_an_editor_added_to_a_demo_film() -> None:
    load_demo_data()
    matrix = FilmWork.objects.get(title="The Matrix")
    matrix.genres.add(Genre.objects.get(name="Thriller"))

    load_demo_data()

    assert "Thriller" in set(matrix.genres.values_list("name", flat=True))
