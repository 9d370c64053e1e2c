"""Compares FileAPI's rows with its bucket; reports what does not match and, with --fix, cleans it up.

    python -m file_api.reconcile [--older-than 24h] [--fix]

It reads the same settings as FileAPI (the environment), so it runs wherever FileAPI runs: `make
reconcile` on the `make dev` stack, `docker compose exec file_api python -m file_api.reconcile` in Compose.

- Objects without a row: left when FileAPI dies between storing an object and writing its row.
  --fix removes them.
- Incomplete multipart uploads: left when FileAPI dies in the middle of an upload, or S3 refused to
  abort one. Their parts take space and appear in no listing of objects. --fix aborts them.
- Abandoned upload sessions: resumable uploads opened and neither completed nor aborted (the editor
  closed the page for good). --fix aborts their S3 upload and deletes their row. The S3 upload of a
  session is never counted as an incomplete multipart upload too: a younger session may still receive
  parts, an older one is handled once, as a session.
- Rows without an object: files whose content is lost (FileAPI answers 404 for them). Only reported:
  deleting the row would hide the loss. Restore the object from a backup, or delete the file through
  `DELETE /api/v1/files/{short_name}`.

Only what is older than --older-than counts: a younger object without a row may be an upload about to
write its row, a younger multipart upload or upload session may still be receiving parts. It is therefore
safe to run while FileAPI serves, as long as no upload takes longer than that.

Exit status: 0 nothing needs attention (any more); 1 something was found and left as it is (no --fix, or
rows without objects); 2 wrong arguments; 3 Postgres or S3 did not answer.
"""

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, create_engine, delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from file_api.config import Settings
from file_api.models import StoredFile, UploadSession
from file_api.storage import IncompleteUpload, ObjectStore, StorageUnavailable, StoredObject

OK, FOUND, UNAVAILABLE = 0, 1, 3
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Findings:
    objects_without_rows: list[StoredObject]
    stale_uploads: list[IncompleteUpload]
    rows_without_objects: list[StoredFile]
    abandoned_sessions: list[UploadSession]


def find(store: ObjectStore, engine: Engine, cutoff: datetime) -> Findings:
    """What is older than `cutoff` and does not match. The objects and uploads are listed before the rows
    are read: an upload that writes its row (or opens its session) in between is then seen with both."""
    objects = {stored.key: stored for stored in store.list_objects()}
    incomplete = list(store.list_incomplete_uploads())
    with Session(engine, expire_on_commit=False) as session:
        rows = {row.short_name: row for row in session.scalars(select(StoredFile))}
        upload_sessions = list(session.scalars(select(UploadSession).order_by(UploadSession.created_at)))
    of_sessions = {upload.s3_upload_id for upload in upload_sessions}
    return Findings(
        objects_without_rows=[
            stored for key, stored in objects.items() if key not in rows and stored.last_modified < cutoff
        ],
        stale_uploads=[
            upload
            for upload in incomplete
            if upload.initiated < cutoff and upload.upload_id not in of_sessions
        ],
        rows_without_objects=[
            row for name, row in rows.items() if name not in objects and row.created_at < cutoff
        ],
        abandoned_sessions=[upload for upload in upload_sessions if upload.created_at < cutoff],
    )


def fix(store: ObjectStore, engine: Engine, findings: Findings) -> None:
    """Removes the objects without rows and aborts the stale uploads, printing each."""
    for stored in findings.objects_without_rows:
        # Checked again just before removing: never remove an object whose row exists by now.
        with Session(engine) as session:
            if session.scalar(select(StoredFile.id).where(StoredFile.short_name == stored.key)):
                print(f"  kept     {stored.key}: its row exists now")
                continue
        store.remove(stored.key)
        print(f"  removed  {stored.key}  {stored.size} bytes, stored {_when(stored.last_modified)}")
    for upload in findings.stale_uploads:
        store.abort_upload(upload.key, upload.upload_id)
        print(f"  aborted  {upload.key}  upload {upload.upload_id}, started {_when(upload.initiated)}")
    for abandoned in findings.abandoned_sessions:
        # S3 first: if it does not answer, the row stays and the next run tries again.
        store.abort_upload(abandoned.short_name, abandoned.s3_upload_id)
        with Session(engine) as session, session.begin():
            session.execute(delete(UploadSession).where(UploadSession.id == abandoned.id))
        print(
            f"  aborted  session {abandoned.id}  {abandoned.filename!r}, opened {_when(abandoned.created_at)}"
        )


def report(findings: Findings) -> None:
    print(f"objects without a row: {len(findings.objects_without_rows)}")
    for stored in findings.objects_without_rows:
        print(f"  {stored.key}  {stored.size} bytes, stored {_when(stored.last_modified)}")
    print(f"incomplete multipart uploads: {len(findings.stale_uploads)}")
    for upload in findings.stale_uploads:
        print(f"  {upload.key}  upload {upload.upload_id}, started {_when(upload.initiated)}")
    print(f"rows without an object: {len(findings.rows_without_objects)}")
    for row in findings.rows_without_objects:
        print(f"  {row.short_name}  {row.filename!r}, {row.size} bytes, uploaded {_when(row.created_at)}")
    print(f"abandoned upload sessions: {len(findings.abandoned_sessions)}")
    for abandoned in findings.abandoned_sessions:
        print(
            f"  session {abandoned.id}  {abandoned.filename!r}, {abandoned.size} bytes, "
            f"upload {abandoned.s3_upload_id}, opened {_when(abandoned.created_at)}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m file_api.reconcile",
        description="Compare FileAPI's rows with its bucket; with --fix, remove orphaned objects and "
        "abort stale multipart uploads and abandoned upload sessions.",
        epilog="Exit status: 0 nothing needs attention, 1 something found and left as it is, "
        "2 wrong arguments, 3 Postgres or S3 did not answer.",
    )
    parser.add_argument(
        "--older-than",
        type=_duration,
        default=timedelta(hours=24),
        metavar="AGE",
        help="only count what is older than this: 90s, 30m, 24h, 2d, or 0 for everything "
        "(default 24h; keep it longer than the longest upload)",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="remove the objects without rows, abort the uploads and the abandoned upload sessions",
    )
    args = parser.parse_args(argv)

    settings = Settings()
    store = ObjectStore.from_settings(settings)
    engine = create_engine(settings.database_url, connect_args={"connect_timeout": 5})
    cutoff = datetime.now(UTC) - args.older_than
    print(
        f"bucket {settings.file_api_bucket!r}, database {settings.file_api_db_name!r}: "
        f"what is older than {args.older_than} (before {_when(cutoff)})"
    )
    try:
        findings = find(store, engine, cutoff)
        report(findings)
        if args.fix and _fixable(findings):
            print("fixing:")
            fix(store, engine, findings)
    except (StorageUnavailable, OperationalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return UNAVAILABLE
    finally:
        engine.dispose()

    fixable = _fixable(findings)
    if fixable and not args.fix:
        print("run again with --fix to remove the objects without rows and abort the uploads")
    if findings.rows_without_objects:
        print("rows without an object are left as they are: restore their objects, or DELETE those files")
    return FOUND if (fixable and not args.fix) or findings.rows_without_objects else OK


def _fixable(findings: Findings) -> bool:
    return bool(findings.objects_without_rows or findings.stale_uploads or findings.abandoned_sessions)


def _duration(text: str) -> timedelta:
    if text == "0":
        return timedelta(0)
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90s, 30m, 24h or 2d")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


if __name__ == "__main__":
    sys.exit(main())
