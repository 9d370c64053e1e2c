"""`manage.py transfer_files --from BACKEND --to BACKEND [--dry-run]`: moves every FilmWork file.

What a team runs on the day it flips FILE_STORAGE_BACKEND. Each file is streamed from the old storage
into the new one, read back from the new one and compared (size and sha256); only then is the row
pointed at the copy and the old file deleted. Nothing is lost when the run stops half-way, and running
it again resumes: rows already moved are recognised and skipped.
"""

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

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
        old, new = storages[storage_alias(source)], storages[storage_alias(target)]
        plan = self._plan(old, new)
        self.stdout.write(
            f"{len(plan.to_move)} file(s), {plan.total_bytes} bytes, to move from {source} to {target}; "
            f"{plan.already_moved} already moved; {len(plan.missing)} missing from both"
        )
        if dry_run:
            for film, size in plan.to_move:
                self.stdout.write(f"  would move {film.file.name} ({size} bytes) of {film.title!r}")
        else:
            with tqdm(total=plan.total_bytes, unit="B", unit_scale=True, unit_divisor=1024) as progress:
                for film, _size in plan.to_move:
                    self._move(film, old, new, progress.update)
            self.stdout.write(self.style.SUCCESS(f"moved {len(plan.to_move)} file(s) to {target}"))
        if plan.missing:
            raise CommandError(f"files missing from both storages: {', '.join(plan.missing)}")

    def _plan(self, old: Storage, new: Storage) -> _Plan:
        plan = _Plan()
        for film in FilmWork.objects.exclude(file="").order_by("pk"):
            name = film.file.name
            if old.exists(name):
                if new.exists(name) and _same_content(old, new, name):
                    old.delete(name)  # copied under the same name by a run that stopped before deleting
                    plan.already_moved += 1
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
            copy = File(reader, name=name)  # type: ignore[arg-type]
            copy.size = original.size
            new_name = new.save(name, copy)
        if (reader.size, reader.sha256.hexdigest()) != _digest(new, new_name):
            new.delete(new_name)
            raise CommandError(f"the copy of {name} differs from the original: nothing was changed for it")
        # Only a row that still refers to the old file is moved; a row changed meanwhile keeps its file.
        if FilmWork.objects.filter(pk=film.pk, file=name).update(file=new_name):
            old.delete(name)
        else:
            new.delete(new_name)
            self.stderr.write(f"{film.title!r} changed during the transfer; its file was left where it is")


def _digest(storage: Storage, name: str) -> tuple[int, str]:
    sha256, size = hashlib.sha256(), 0
    with storage.open(name) as stored:
        while chunk := stored.read(CHUNK_SIZE):
            sha256.update(chunk)
            size += len(chunk)
    return size, sha256.hexdigest()


def _same_content(old: Storage, new: Storage, name: str) -> bool:
    return old.size(name) == new.size(name) and _digest(old, name) == _digest(new, name)
