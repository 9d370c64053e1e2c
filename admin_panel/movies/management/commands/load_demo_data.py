"""`manage.py load_demo_data`: fills the catalogue with a small real-world demo; safe to run again.

Every demo row gets an id derived from its natural key (uuid5), so a second run finds the rows of the
first: nothing is created twice, and only rows whose data differ from the demo's are saved again.
Links are only ever added: genres or people an editor attached to a demo film stay.
"""

import uuid
from collections import Counter
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, no_translations
from django.db import models, transaction

from movies.management.commands._demo_catalogue import FILMS, GENRES
from movies.models import FilmWork, Genre, GenreFilmWork, Person, PersonFilmWork

# Fixed forever: another namespace would give every demo row a new id, and a second copy of the demo.
DEMO_NAMESPACE = uuid.UUID("eb9bf709-c36b-4daa-881f-dfdf97440f10")

OUTCOMES = ("created", "updated", "unchanged")

ModelT = TypeVar("ModelT", bound=models.Model)


def demo_id(kind: str, *natural_key: object) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(map(str, (kind, *natural_key))))


class Command(BaseCommand):
    help = (
        "Loads a demo catalogue of well-known films and TV shows with their genres and people. "
        "Running it again creates no duplicates and saves only what differs; -v 2 lists every row."
    )

    @no_translations  # the report names models in English whatever LANGUAGE_CODE is
    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity: int = options["verbosity"]
        self.outcomes: Counter[tuple[type[models.Model], str]] = Counter()

        genres = {
            name: self.sync(Genre, demo_id("genre", name), name=name, description=description)
            for name, description in GENRES.items()
        }
        people: dict[str, Person] = {}
        for film in FILMS:
            film_work = self.sync(
                FilmWork,
                demo_id("film_work", film.type, film.title),
                title=film.title,
                type=film.type,
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
                        people[name] = self.sync(Person, demo_id("person", name), full_name=name)
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

    def sync(self, model: type[ModelT], pk: uuid.UUID, **fields: Any) -> ModelT:
        """The row `pk` with `fields`: created if missing, saved only if a field differs."""
        obj = model._default_manager.filter(pk=pk).first()
        if obj is None:
            obj = model._default_manager.create(pk=pk, **fields)
            outcome = "created"
        elif changed := [name for name, value in fields.items() if getattr(obj, name) != value]:
            for name in changed:
                setattr(obj, name, fields[name])
            obj.save()
            outcome = "updated"
        else:
            outcome = "unchanged"
        self.record(model, outcome, obj)
        return obj

    def link(self, model: type[ModelT], pk: uuid.UUID, film_work: FilmWork, **fields: Any) -> None:
        """Adds a genre or a person to a film unless it is there (maybe added by hand, with another id)."""
        link, created = model._default_manager.get_or_create(
            film_work=film_work, **fields, defaults={"id": pk}
        )
        self.record(model, "created" if created else "unchanged", link)

    def record(self, model: type[models.Model], outcome: str, obj: models.Model) -> None:
        self.outcomes[model, outcome] += 1
        if outcome != "unchanged" and self.verbosity >= 2:
            self.stdout.write(f"  {outcome} {model._meta.verbose_name}: {obj}")
