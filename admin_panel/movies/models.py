"""The catalogue, in the Postgres schema `content`: films, genres, people and their links."""

import mimetypes
import uuid
from pathlib import PurePath
from typing import Any, ClassVar

from django.core.files.storage import Storage, storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from file_storage.cleanup import loaded_file_name
from file_storage.config import FILM_STORAGE_ALIAS


def film_storage() -> Storage:
    """The storage FILE_STORAGE_BACKEND selects; a callable, so switching backends changes no migration."""
    return storages[FILM_STORAGE_ALIAS]


class UUIDMixin(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class TimeStampedMixin(models.Model):
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        abstract = True


class NamedEntry(UUIDMixin, TimeStampedMixin):
    """A genre or a person: shown by one field (`name_field`), which the admin lists and searches them by."""

    name_field: ClassVar[str]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(getattr(self, self.name_field))


class Genre(NamedEntry):
    name_field = "name"
    name = models.CharField(_("name"), max_length=255, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        db_table = 'content"."genre'
        verbose_name = _("genre")
        verbose_name_plural = _("genres")
        ordering = ["name"]


class Person(NamedEntry):
    name_field = "full_name"
    full_name = models.CharField(_("full name"), max_length=255, db_index=True)

    class Meta:
        db_table = 'content"."person'
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name"]


class FilmWork(UUIDMixin, TimeStampedMixin):
    class Type(models.TextChoices):
        MOVIE = "movie", _("movie")
        TV_SHOW = "tv_show", _("TV show")

    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    creation_date = models.DateField(_("creation date"), null=True, blank=True)
    rating = models.FloatField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.MOVIE)
    file = models.FileField(_("file"), storage=film_storage, upload_to="films/", max_length=255, blank=True)
    # Kept with the row: the changelist shows sizes without a request to the storage per film, and the
    # change page the name the editor uploaded (a storage may keep another: FileAPI's short name).
    file_size = models.BigIntegerField(_("file size"), null=True, blank=True, editable=False)
    file_original_name = models.CharField(_("original file name"), max_length=255, blank=True, editable=False)
    file_content_type = models.CharField(_("file type"), max_length=100, blank=True, editable=False)
    genres: "models.ManyToManyField[Genre, GenreFilmWork]" = models.ManyToManyField(
        Genre, through="GenreFilmWork", verbose_name=_("genres")
    )
    persons: "models.ManyToManyField[Person, PersonFilmWork]" = models.ManyToManyField(
        Person, through="PersonFilmWork", verbose_name=_("people")
    )

    class Meta:
        db_table = 'content"."film_work'
        verbose_name = _("film work")
        verbose_name_plural = _("film works")
        ordering = ["-creation_date", "title"]
        indexes = [
            models.Index(fields=["title"], name="film_work_title_idx"),
            models.Index(fields=["creation_date"], name="film_work_creation_date_idx"),
            models.Index(fields=["rating"], name="film_work_rating_idx"),
            models.Index(fields=["type"], name="film_work_type_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=0, rating__lte=100) | models.Q(rating__isnull=True),
                name="film_work_rating_range",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The name loaded is the one file_storage.cleanup keeps for every file field (movies/apps.py).
        if self._state.adding or self.file.name != loaded_file_name(self, "file"):
            self.file_size = self.file.size if self.file else None
            if not self.file:
                self.file_original_name = self.file_content_type = ""
            elif not self.file._committed:  # a new file, not stored yet: its name is still the uploaded one
                self.describe_file(self.file.name or "")
        super().save(*args, **kwargs)

    def describe_file(self, original_name: str) -> None:
        """Keeps the name the file had when it was uploaded, and the type it is served with."""
        self.file_original_name = PurePath(original_name).name[:255]
        self.file_content_type = mimetypes.guess_type(original_name)[0] or "application/octet-stream"

    @property
    def file_display_name(self) -> str:
        """The uploaded name; for a film saved before it was kept, the last part of the stored name."""
        return self.file_original_name or PurePath(self.file.name or "").name


class GenreFilmWork(UUIDMixin):
    film_work = models.ForeignKey(FilmWork, on_delete=models.CASCADE, verbose_name=_("film work"))
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE, verbose_name=_("genre"))
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        db_table = 'content"."genre_film_work'
        verbose_name = _("genre of the film work")
        verbose_name_plural = _("genres of the film work")
        constraints = [models.UniqueConstraint(fields=["film_work", "genre"], name="genre_film_work_unique")]

    def __str__(self) -> str:
        return f"{self.film_work}: {self.genre}"


class PersonFilmWork(UUIDMixin):
    class Role(models.TextChoices):
        ACTOR = "actor", _("actor")
        DIRECTOR = "director", _("director")
        WRITER = "writer", _("writer")

    film_work = models.ForeignKey(FilmWork, on_delete=models.CASCADE, verbose_name=_("film work"))
    person = models.ForeignKey(Person, on_delete=models.CASCADE, verbose_name=_("person"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        db_table = 'content"."person_film_work'
        verbose_name = _("role in the film work")
        verbose_name_plural = _("people of the film work")
        constraints = [
            models.UniqueConstraint(fields=["film_work", "person", "role"], name="person_film_work_unique")
        ]

    def __str__(self) -> str:
        return f"{self.film_work}: {self.person} ({self.get_role_display()})"
