"""`manage.py transfer_files --from BACKEND --to BACKEND [--dry-run]`: moves every FilmWork file.

What a team runs on the day it flips FILE_STORAGE_BACKEND. Each file is streamed from the old storage
into the new one, read back from the new one and compared (size and sha256); only then is the row
pointed at the copy and the old file deleted. Nothing is lost when the run stops half-way, and running
it again resumes: rows already moved are recognised and skipped. `--dry-run` only reads.

The admin reads every row's file from the backend FILE_STORAGE_BACKEND selects, so the order on a live
system is: switch FILE_STORAGE_BACKEND to the new backend and restart the admin, then run this command
with `--to` that backend. It refuses any other `--to`: moving files away from the backend the admin
reads would leave it pointing at files it cannot read. New uploads go to the new backend from the
switch on; until the run ends, a film not yet moved cannot be downloaded (its row is intact).
"""

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from file_storage.cleanup import delete_unused_file
from file_storage.config import BACKENDS, storage_alias
from movies.models import FilmWork

CHUNK_SIZE = 1024 * 1024


class _HashingReader:
    """A file read through once, counting and hashing what passes; not seekable, so never read twice."""

    def __init__(self, source: File, on_read: Callable[[int], object]) -> None:  # type: ignore[type-arg]
        self._source = source
        self._on_read = on_read
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        # Fill the request: some consumers (the minio SDK) concatenate short reads at quadratic cost.
        chunks, remaining = [], size
        while size < 0 or remaining > 0:
            chunk = self._source.read(CHUNK_SIZE if size < 0 else remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        self.sha256.update(data)
        self.size += len(data)
        self._on_read(len(data))
        return data

    @property
    def closed(self) -> bool:
        return self._source.closed

    def seekable(self) -> bool:
        return False

    def seek(self, *args: Any) -> int:
        raise io.UnsupportedOperation("a transfer reads its source once")


@dataclass
class _Plan:
    to_move: list[tuple[FilmWork, int]] = field(default_factory=list)
    # Copied by a run that stopped before the row was updated and the original deleted: (film, copy).
    copied: list[tuple[FilmWork, str]] = field(default_factory=list)
    already_moved: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.to_move)


class Command(BaseCommand):
    help = "Move every FilmWork file from one storage backend to another, verified, resumable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", choices=BACKENDS, required=True)
        parser.add_argument("--to", dest="target", choices=BACKENDS, required=True)
        parser.add_argument("--dry-run", action="store_true", help="only report what would be moved")

    def handle(self, *args: Any, source: str, target: str, dry_run: bool, **options: Any) -> None:
        if source == target:
            raise CommandError("--from and --to name the same backend")
        selected = settings.FILE_STORAGE_BACKEND
        if target != selected and not dry_run:
            raise CommandError(
                f"FILE_STORAGE_BACKEND is {selected}, and the admin reads every film's file from it: moving "
                f"the files to {target} would leave it pointing at files it cannot read. Switch first: set "
                f"FILE_STORAGE_BACKEND={target} for the admin and this command, restart the admin, then run "
                f"transfer_files --from {source} --to {target} (--dry-run works before the switch)."
            )
        old, new = storages[storage_alias(source)], storages[storage_alias(target)]
        plan = self._plan(old, new)
        self.stdout.write(
            f"{len(plan.to_move)} file(s), {plan.total_bytes} bytes, to move from {source} to {target}; "
            f"{plan.already_moved + len(plan.copied)} already moved; {len(plan.missing)} missing from both"
        )
        if dry_run:
            for film, size in plan.to_move:
                self.stdout.write(f"  would move {film.file.name} ({size} bytes) of {film.title!r}")
            for film, copy_name in plan.copied:
                self.stdout.write(f"  would point {film.title!r} at its copy {copy_name}, delete the old")
        else:
            for film, copy_name in plan.copied:
                self._point_at_copy(film, old, new, copy_name)
            with tqdm(total=plan.total_bytes, unit="B", unit_scale=True, unit_divisor=1024) as progress:
                for film, _size in plan.to_move:
                    self._move(film, old, new, progress.update)
            self.stdout.write(self.style.SUCCESS(f"moved {len(plan.to_move)} file(s) to {target}"))
        if plan.missing:
            raise CommandError(f"files missing from both storages: {', '.join(plan.missing)}")

    def _plan(self, old: Storage, new: Storage) -> _Plan:
        """What a run would do; only reads, so that a dry run changes nothing."""
        plan = _Plan()
        for film in FilmWork.objects.exclude(file="").order_by("pk"):
            name = film.file.name
            if old.exists(name):
                copy_name = _target_name(film, old)
                if new.exists(copy_name) and _same_content(old, name, new, copy_name):
                    plan.copied.append((film, copy_name))
                else:
                    plan.to_move.append((film, film.file_size or old.size(name)))
            elif new.exists(name):
                plan.already_moved += 1
            else:
                plan.missing.append(name)
        return plan

    def _move(self, film: FilmWork, old: Storage, new: Storage, on_read: Callable[[int], object]) -> None:
        name = film.file.name
        with old.open(name) as original:
            reader = _HashingReader(original, on_read)
            copy = File(reader, name=_target_name(film, old))  # type: ignore[arg-type]
            copy.size = original.size
            new_name = new.save(copy.name, copy)
        if (reader.size, reader.sha256.hexdigest()) != _digest(new, new_name):
            new.delete(new_name)
            raise CommandError(f"the copy of {name} differs from the original: nothing was changed for it")
        self._point_at_copy(film, old, new, new_name)

    def _point_at_copy(self, film: FilmWork, old: Storage, new: Storage, new_name: str) -> None:
        name = film.file.name
        # Only a row that still refers to the old file is moved; a row changed meanwhile keeps its file.
        if FilmWork.objects.filter(pk=film.pk, file=name).update(file=new_name):
            delete_unused_file(old, name)
        else:
            delete_unused_file(new, new_name)
            self.stderr.write(f"{film.title!r} changed during the transfer; its file was left where it is")


def _digest(storage: Storage, name: str) -> tuple[int, str]:
    sha256, size = hashlib.sha256(), 0
    with storage.open(name) as stored:
        while chunk := stored.read(CHUNK_SIZE):
            sha256.update(chunk)
            size += len(chunk)
    return size, sha256.hexdigest()


def _same_content(old: Storage, name: str, new: Storage, new_name: str) -> bool:
    return old.size(name) == new.size(new_name) and _digest(old, name) == _digest(new, new_name)


def _target_name(film: FilmWork, old: Storage) -> str:
    """The name of the film's file in the new storage: `films/<original name>`, like an upload's.

    FileAPI's names are short ids; the original name (with its extension) is in its metadata.
    """
    original_name = getattr(old, "original_name", None)
    if original_name is None:
        return str(film.file.name)
    return str(film.file.field.generate_filename(film, original_name(film.file.name)))
