from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FileStorageConfig(AppConfig):
    name = "file_storage"
    verbose_name = _("File storage")
