"""Admin of the catalogue: films with their genres and people, searchable and filterable."""

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from file_storage.admin import unsaved_files_deleted
from file_storage.models import DirectUpload
from movies.forms import FilmWorkForm
from movies.models import FilmWork, Genre, GenreFilmWork, Person, PersonFilmWork

# Shown in a cell that has nothing to show, like Django's own empty_value_display.
NOTHING = "—"


class RatingRangeFilter(admin.SimpleListFilter):
    """Ratings in steps of 20 (the upper bound belongs to the next step, except 100), or none at all."""

    title = _("rating")
    parameter_name = "rating_range"
    NO_RATING = "none"
    RANGES = {f"{low}-{low + 20}": (low, low + 20) for low in range(0, 100, 20)}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(key, f"{low}–{high}") for key, (low, high) in self.RANGES.items()] + [
            (self.NO_RATING, _("no rating"))
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == self.NO_RATING:
            return queryset.filter(rating__isnull=True)
        if value not in self.RANGES:
            return queryset
        low, high = self.RANGES[value]
        if high == 100:  # a perfect 100 belongs to the top range
            return queryset.filter(rating__gte=low, rating__lte=high)
        return queryset.filter(rating__gte=low, rating__lt=high)


class FilmLinkInline(admin.TabularInline):  # type: ignore[type-arg]
    """A film's genres or people, chosen by searching (select2), not from a list of every row."""

    extra = 0

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        # A new film gets a blank row to fill in; an existing one shows its rows and "Add another".
        return 1 if obj is None else 0


class GenreFilmWorkInline(FilmLinkInline):
    model = GenreFilmWork
    autocomplete_fields = ("genre",)
    ordering = ("genre__name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[GenreFilmWork]:
        links: QuerySet[GenreFilmWork] = super().get_queryset(request)
        return links.select_related("film_work", "genre")  # each row shows its str()


class PersonFilmWorkInline(FilmLinkInline):
    model = PersonFilmWork
    autocomplete_fields = ("person",)
    fields = ("person", "role")
    ordering = ("role", "person__full_name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonFilmWork]:
        links: QuerySet[PersonFilmWork] = super().get_queryset(request)
        return links.select_related("film_work", "person")  # each row shows its str()


@admin.register(FilmWork)
class FilmWorkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = FilmWorkForm
    list_display = ("title", "type", "rating", "creation_date", "file_size_display", "download_link")
    list_filter = ("type", "genres", RatingRangeFilter)
    search_fields = ("title", "description", "persons__full_name")
    search_help_text = _("Searches titles, descriptions and people's names.")
    date_hierarchy = "creation_date"
    inlines = (GenreFilmWorkInline, PersonFilmWorkInline)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The form stores the film while it is validated (file_storage/admin.py); a film that no saved row
        # names when the view is done (an inline had an error, the transaction rolled back) is deleted again.
        with unsaved_files_deleted():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: FilmWork, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The film the upload widget stored is now the row's: no longer an upload waiting for its form.
        if form.cleaned_data.get("file_upload"):
            DirectUpload.objects.filter(id=form.cleaned_data["file_upload"], name=obj.file.name).delete()

    # Both columns read only the row: a storage request per film would make the list as slow as the storage.
    @admin.display(description=_("file size"), ordering="file_size")
    def file_size_display(self, obj: FilmWork) -> str:
        if not obj.file or obj.file_size is None:
            return NOTHING
        return str(filesizeformat(obj.file_size))

    @admin.display(description=_("file"))
    def download_link(self, obj: FilmWork) -> str:
        if not obj.file:
            return NOTHING
        return format_html(
            '<a href="{}" title="{}">{}</a>', obj.file.url, obj.file_display_name, _("download")
        )


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "film_count")
    # Explicit: a query with an aggregate ignores Meta.ordering, and the autocomplete pages an ordered list.
    ordering = ("name",)
    search_fields = ("name",)  # also what the films' genre autocomplete searches

    def get_queryset(self, request: HttpRequest) -> QuerySet[Genre]:
        genres: QuerySet[Genre] = super().get_queryset(request)
        return genres.annotate(film_count=Count("genrefilmwork"))

    @admin.display(description=_("number of film works"), ordering="film_count")
    def film_count(self, obj: Any) -> int:
        return int(obj.film_count)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("full_name", "film_count")
    ordering = ("full_name",)  # explicit, as for genres
    search_fields = ("full_name",)  # also what the films' people autocomplete searches

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        people: QuerySet[Person] = super().get_queryset(request)
        # distinct: a director who also wrote the film has two roles in it but made one film.
        return people.annotate(film_count=Count("personfilmwork__film_work", distinct=True))

    @admin.display(description=_("number of film works"), ordering="film_count")
    def film_count(self, obj: Any) -> int:
        return int(obj.film_count)
