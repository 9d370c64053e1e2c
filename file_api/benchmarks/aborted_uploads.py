"""Benchmark: what aborted uploads leave in FileAPI: threads, resident memory, objects, rows, S3 uploads.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI with a --limit MiB size limit) on 127.0.0.1 and
sends --count uploads that never complete, --concurrency at a time, in turn of three kinds: a client
that hangs up at a random point, a chunked body over the limit (413) and a body that ends in the middle
of the file (400). It prints FileAPI's thread count and RSS idle, at their peak and after settling,
against the ceilings: threads back to idle, RSS within 30 MB of idle. Numbers only; it asserts nothing.

"After settling" waits until the thread count has not changed for a while, poking the health check:
anyio keeps an idle worker thread for 10 s and only retires it when another task needs a thread.

    uv run python file_api/benchmarks/aborted_uploads.py --count 200
"""

import dataclasses
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

import httpx
import psutil
from films import bench_stack, parse_options, pid_of
from sqlalchemy import create_engine, text

from devstack import broken_uploads
from devstack.bench_results import record
from devstack.measure import peak_rss
from devstack.services import FileAPI, Postgres, SeaweedFS

MiB = 1024**2
MB = 1000**2
RSS_CEILING_ABOVE_IDLE = 30 * MB
# Longer than anyio's 10 s: an unchanged thread count over this long is the settled one.
SETTLED_AFTER = 12.0


@dataclasses.dataclass
class Sample:
    threads: int
    rss: int

    @classmethod
    def of(cls, process: psutil.Process) -> "Sample":
        return cls(process.num_threads(), process.memory_info().rss)


def most_threads_until_done(
    process: psutil.Process, running: list[Future[object]], interval: float = 0.05
) -> int:
    """The largest thread count of the process seen until every future is done, polled every `interval`."""
    most = process.num_threads()
    while wait(running, timeout=interval).not_done:
        most = max(most, process.num_threads())
    return most


def settle(process: psutil.Process, poke: Callable[[], object], timeout: float = 120) -> Sample:
    """Threads and RSS once the thread count has stayed the same for SETTLED_AFTER seconds."""
    deadline = time.monotonic() + timeout
    last, since = Sample.of(process), time.monotonic()
    while time.monotonic() - since < SETTLED_AFTER and time.monotonic() < deadline:
        poke()
        time.sleep(1)
        now = Sample.of(process)
        if now.threads != last.threads:
            since = time.monotonic()
        last = now
    return last


def main() -> None:
    args = parse_options(
        __doc__,
        count=(200, "aborted uploads"),
        concurrency=(8, "uploads at a time"),
        limit=(64, "FileAPI's size limit in MiB"),
        seed=(9, "random cut points"),
    )
    limit = args.limit * MiB
    rng = random.Random(args.seed)  # noqa: S311 (cut points, not secrets)

    with (
        bench_stack(FILE_API_MAX_UPLOAD_BYTES=str(limit)) as stack,
        httpx.Client(base_url=stack.file_api.base_url, timeout=600) as client,
    ):
        file_api, pid = stack.file_api, pid_of(stack.file_api)
        process = psutil.Process(pid)

        def poke() -> None:
            client.get("/api/v1/health").raise_for_status()

        # One complete upload first: the idle numbers then include what any upload loads.
        client.post(
            "/api/v1/",
            headers={"Authorization": f"Bearer {file_api.token}"},
            files={"file": ("warm-up.mp4", rng.randbytes(limit // 2))},
        ).raise_for_status()
        idle = settle(process, poke)

        uploads = [_aborted_upload(kind, file_api, limit, rng) for kind in _kinds(args.count)]
        started = time.perf_counter()
        with peak_rss(pid) as rss_peak, ThreadPoolExecutor(args.concurrency) as clients:
            sent = [clients.submit(send) for send in uploads]
            most_threads = most_threads_until_done(process, sent)
        highest = Sample(most_threads, rss_peak[pid])  # RSS: the largest sampled while the uploads ran
        statuses = [upload.result() for upload in sent]
        seconds = time.perf_counter() - started
        after = settle(process, poke)

        bucket, database = stack.config.get("FILE_API_BUCKET"), stack.config.get("FILE_API_DB_NAME")
        leftovers = _leftovers(stack.s3, stack.postgres, bucket, database)

    answered = {status: statuses.count(status) for status in sorted(set(statuses), key=str)}
    print(f"{args.count} aborted uploads in {seconds:.1f} s, {args.concurrency} at a time: {answered}")
    print(f"FileAPI {'':>9} {'idle':>8} {'peak':>8} {'settled':>8}")
    print(f"{'threads':>17} {idle.threads:>8} {highest.threads:>8} {after.threads:>8}")
    print(f"{'RSS MB':>17} {idle.rss / MB:>8.0f} {highest.rss / MB:>8.0f} {after.rss / MB:>8.0f}")
    print(
        f"threads settled / idle: {after.threads / idle.threads:.2f} (ceiling 1.00); "
        f"RSS settled - idle: {(after.rss - idle.rss) / MB:.1f} MB "
        f"= {(after.rss - idle.rss) / RSS_CEILING_ABOVE_IDLE:.2f} of the 30 MB ceiling"
    )
    print(
        "left behind: {objects} objects besides the warm-up's, {rows} rows besides its, "
        "{uploads} incomplete multipart uploads".format(**leftovers)
    )
    record("aborts", "aborted uploads per second", args.count / seconds, "1/s")
    record("aborts", "FileAPI threads at peak", highest.threads, "")
    record(
        "aborts",
        "FileAPI threads settled / idle",
        after.threads / idle.threads,
        "x",
        target="<= 1.00",
        better="lower",
        limit=1.0,
    )
    record("aborts", "FileAPI RSS at peak", highest.rss / MB, "MB")
    record(
        "aborts",
        "FileAPI RSS settled - idle",
        (after.rss - idle.rss) / MB,
        "MB",
        target=f"<= {RSS_CEILING_ABOVE_IDLE / MB:.0f} MB",
        better="lower",
        limit=RSS_CEILING_ABOVE_IDLE / MB,
    )
    left = sum(leftovers.values())
    record("aborts", "objects, rows, S3 uploads left behind", left, "", target="= 0", better="lower", limit=0)


def _kinds(count: int) -> list[str]:
    kinds = ("disconnect", "over_limit", "truncated")
    return [kinds[n % len(kinds)] for n in range(count)]


def _aborted_upload(kind: str, file_api: FileAPI, limit: int, rng: random.Random) -> Callable[[], object]:
    """One aborted upload, its random point chosen now so a seed repeats the run."""
    port, token = file_api.port, file_api.token
    if kind == "disconnect":
        cut_at = rng.randrange(limit)

        def hang_up() -> str:
            broken_uploads.disconnect(port, token, limit, cut_at)
            return "hung up"

        return hang_up
    if kind == "over_limit":
        return lambda: broken_uploads.over_limit(port, token, limit)
    file_bytes = rng.randrange(limit)
    return lambda: broken_uploads.truncated(port, token, file_bytes)


def _leftovers(s3: SeaweedFS, postgres: Postgres, bucket: str, database: str) -> dict[str, int]:
    client = s3.boto3_client()
    objects = client.list_objects_v2(Bucket=bucket).get("KeyCount", 0)
    uploads = len(client.list_multipart_uploads(Bucket=bucket).get("Uploads", []))
    engine = create_engine(postgres.url(database))
    with engine.connect() as connection:
        rows = connection.scalar(text("SELECT count(*) FROM stored_file")) or 0
    engine.dispose()
    return {"objects": objects - 1, "rows": rows - 1, "uploads": uploads}


if __name__ == "__main__":
    main()
