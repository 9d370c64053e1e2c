from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MoviesConfig(AppConfig):
    name = "movies"
    verbose_name = _("Movies")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from file_storage.cleanup import delete_replaced_files
        from movies.models import FilmWork

        delete_replaced_files(FilmWork, kept_with={"file": ["file_size"]})
