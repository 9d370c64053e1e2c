"""`manage.py retry_deletions [--list]`: deletes the stored files whose deletion failed before.

A file becomes unused when its film is deleted or its file replaced; if the storage refused to delete
it then (an outage), it was recorded as a PendingDeletion. This command tries again, and exits non-zero
while any remain, so a cron job or a person notices.
"""

from typing import Any

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from file_storage.backends.common import failure_text
from file_storage.cleanup import record_failed_deletion
from file_storage.config import storage_alias
from file_storage.models import PendingDeletion
from movies.models import FilmWork


class Command(BaseCommand):
    help = "Retry deleting stored files whose deletion failed; non-zero exit while any remain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--list", dest="list_only", action="store_true", help="only list them, delete nothing"
        )

    def handle(self, *args: Any, list_only: bool, **options: Any) -> None:
        from django.conf import settings

        pending = PendingDeletion.objects.order_by("created")
        if list_only:
            for deletion in pending:
                self.stdout.write(
                    f"{deletion.storage} {deletion.name}: {deletion.attempts} attempt(s), {deletion.error}"
                )
            self.stdout.write(f"{pending.count()} pending deletion(s)")
            return
        selected = storage_alias(settings.FILE_STORAGE_BACKEND)
        deleted = kept = 0
        for deletion in pending:
            # A row may have come to refer to the name again (transfer_files pointed a film at it).
            if deletion.storage == selected and FilmWork.objects.filter(file=deletion.name).exists():
                deletion.delete()
                kept += 1
                continue
            try:
                storages[deletion.storage].delete(deletion.name)
            except Exception as exc:
                record_failed_deletion(deletion.storage, deletion.name, exc)
                self.stderr.write(f"{deletion.storage} {deletion.name}: {failure_text(exc)}")
                continue
            deletion.delete()
            deleted += 1
        remaining = PendingDeletion.objects.count()
        self.stdout.write(f"deleted {deleted} file(s); {kept} in use again, kept")
        if remaining:
            raise CommandError(f"{remaining} deletion(s) still failing; run retry_deletions again later")
