"""`manage.py check_storage [--backend NAME]`: is the film storage reachable? Exit 1 if not."""

from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from file_storage.backends.common import check_storage, failure_text
from file_storage.config import BACKENDS, storage_alias


class Command(BaseCommand):
    help = "Report the configured file storage backend and whether it is reachable (exit 1 if not)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--backend", choices=BACKENDS, help="check this backend instead of FILE_STORAGE_BACKEND"
        )

    def handle(self, *args: Any, backend: str | None = None, **options: Any) -> None:
        backend = backend or settings.FILE_STORAGE_BACKEND
        self.stdout.write(f"FILE_STORAGE_BACKEND: {settings.FILE_STORAGE_BACKEND}")
        try:
            description = check_storage(storages[storage_alias(backend)])
        except Exception as exc:
            raise CommandError(f"{backend}: unreachable: {failure_text(exc)}") from exc
        self.stdout.write(self.style.SUCCESS(f"{backend}: reachable ({description})"))
