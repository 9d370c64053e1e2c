"""`manage.py load_demo_data [--if-empty]`: adds a small real-world demo catalogue; safe to run again.

It only ever adds what is missing, and never changes a row that exists: an editor's changes to demo
films stay. A demo row is found by the id the demo gives it (uuid5 of its natural key: a renamed demo
film is still found) or else by its natural key (genre name, person's full name, film title and type:
a genre an editor deleted and created again is found by its name). Links are only ever added.
`--if-empty` loads nothing into a catalogue that has any film, genre or person: the admin's start
script uses it so the demo is loaded once, on a new installation.
"""

import uuid
from collections import Counter
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandParser, no_translations
from django.db import models, transaction

from movies.management.commands._demo_catalogue import FILMS, GENRES
from movies.models import FilmWork, Genre, GenreFilmWork, Person, PersonFilmWork

# Fixed forever: another namespace would give every demo row a new id, and a second copy of the demo.
DEMO_NAMESPACE = uuid.UUID("eb9bf709-c36b-4daa-881f-dfdf97440f10")

OUTCOMES = ("created", "kept")

ModelT = TypeVar("ModelT", bound=models.Model)


def demo_id(kind: str, *natural_key: object) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(map(str, (kind, *natural_key))))


class Command(BaseCommand):
    help = (
        "Loads a demo catalogue of well-known films and TV shows with their genres and people. "
        "Running it again adds only what is missing and never changes an existing row; -v 2 lists every row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="load nothing if the catalogue has any film, genre or person",
        )

    @no_translations  # the report names models in English whatever LANGUAGE_CODE is
    @transaction.atomic
    def handle(self, *args: Any, if_empty: bool, **options: Any) -> None:
        self.verbosity: int = options["verbosity"]
        self.outcomes: Counter[tuple[type[models.Model], str]] = Counter()
        if if_empty and any(model._default_manager.exists() for model in (FilmWork, Genre, Person)):
            self.stdout.write("the catalogue is not empty: demo data not loaded")
            return

        genres = {
            name: self.sync(Genre, demo_id("genre", name), {"name": name}, description=description)
            for name, description in GENRES.items()
        }
        people: dict[str, Person] = {}
        for film in FILMS:
            film_work = self.sync(
                FilmWork,
                demo_id("film_work", film.type, film.title),
                {"title": film.title, "type": film.type},
                creation_date=film.creation_date,
                rating=film.rating,
                description=film.description,
            )
            for genre_name in film.genres:
                genre = genres[genre_name]
                self.link(
                    GenreFilmWork, demo_id("genre_film_work", film_work.pk, genre.pk), film_work, genre=genre
                )
            for role, names in [
                (PersonFilmWork.Role.DIRECTOR, film.directors),
                (PersonFilmWork.Role.WRITER, film.writers),
                (PersonFilmWork.Role.ACTOR, film.actors),
            ]:
                for name in names:
                    if name not in people:
                        people[name] = self.sync(Person, demo_id("person", name), {"full_name": name})
                    person = people[name]
                    self.link(
                        PersonFilmWork,
                        demo_id("person_film_work", film_work.pk, person.pk, role),
                        film_work,
                        person=person,
                        role=role,
                    )

        for model in (Genre, Person, FilmWork, GenreFilmWork, PersonFilmWork):
            counts = ", ".join(f"{self.outcomes[model, outcome]} {outcome}" for outcome in OUTCOMES)
            self.stdout.write(f"{model._meta.verbose_name_plural}: {counts}")

    def sync(self, model: type[ModelT], pk: uuid.UUID, natural_key: dict[str, Any], **fields: Any) -> ModelT:
        """The demo row `pk`, or the row with its natural key, as it is; created with `fields` if neither."""
        rows = model._default_manager
        obj = rows.filter(pk=pk).first() or rows.filter(**natural_key).order_by("pk").first()
        if obj is None:
            self.record(model, "created", obj := rows.create(pk=pk, **natural_key, **fields))
        else:
            self.record(model, "kept", obj)
        return obj

    def link(self, model: type[ModelT], pk: uuid.UUID, film_work: FilmWork, **fields: Any) -> None:
        """Adds a genre or a person to a film unless it is there (maybe added by hand, with another id)."""
        link, created = model._default_manager.get_or_create(
            film_work=film_work, **fields, defaults={"id": pk}
        )
        self.record(model, "created" if created else "kept", link)

    def record(self, model: type[models.Model], outcome: str, obj: models.Model) -> None:
        self.outcomes[model, outcome] += 1
        if outcome == "created" and self.verbosity >= 2:
            self.stdout.write(f"  {outcome} {model._meta.verbose_name}: {obj}")
