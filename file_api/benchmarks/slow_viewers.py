"""Benchmark: a cinema evening. Hundreds of slow viewers download a film while editors keep working.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI, nginx) on 127.0.0.1 and stores one film. Then,
for each way a viewer can reach the film (through nginx, which streams from S3 itself; or FileAPI
directly, which streams it), it measures the same editor traffic twice, first with no viewer, then
while --viewers clients each download the film at --rate KB/s:

- metadata: `GET /api/v1/files/{short_name}` every 20 ms, through nginx: latency p50 / p99 / max;
- uploads: a 1 KB file every 0.5 s: how many succeed;
- health: `GET /api/v1/health` every second: how many answer 200.

It prints those figures, the ratio of p99 under load to the idle p99 measured in the same run, and what
FileAPI holds at the peak (threads, database connections, resident memory). Numbers only; it asserts
nothing but that every viewer got its first bytes.

    uv run python file_api/benchmarks/slow_viewers.py --viewers 300 --rate 20 --seconds 30
"""

import argparse
import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event

import httpx
import psutil
from films import bench_stack, link_path, pid_of

from devstack.bench_results import record
from devstack.services import Postgres

MiB = 1024**2


@dataclass
class Editors:
    """What the editor traffic saw during one measurement."""

    latencies: list[float] = field(default_factory=list)
    failed_metadata: int = 0
    uploads: int = 0
    failed_uploads: int = 0
    health: int = 0
    failed_health: int = 0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def run_editors(site: str, token: str, short_name: str, seconds: float) -> Editors:
    """Metadata reads, small uploads and health checks side by side for `seconds`; each in a thread."""
    seen = Editors()
    deadline = time.monotonic() + seconds
    auth = {"Authorization": f"Bearer {token}"}

    def every(interval: float, action: Callable[[httpx.Client], None]) -> Callable[[], None]:
        def loop() -> None:
            with httpx.Client(base_url=site, timeout=30, headers=auth) as client:
                while time.monotonic() < deadline:
                    started = time.monotonic()
                    action(client)
                    time.sleep(max(0.0, interval - (time.monotonic() - started)))

        return loop

    def metadata(client: httpx.Client) -> None:
        started = time.perf_counter()
        response = client.get(f"/api/v1/files/{short_name}")
        seen.latencies.append(time.perf_counter() - started)
        seen.failed_metadata += response.status_code != 200

    def upload(client: httpx.Client) -> None:
        response = client.post("/api/v1/", files={"file": ("note.txt", os.urandom(1024), "text/plain")})
        seen.uploads += 1
        seen.failed_uploads += response.status_code != 201

    def health(client: httpx.Client) -> None:
        seen.health += 1
        seen.failed_health += client.get("/api/v1/health").status_code != 200

    threads = [
        threading.Thread(target=every(*job)) for job in [(0.02, metadata), (0.5, upload), (1.0, health)]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


def watch_viewers(url: str, viewers: int, rate: int, started: Event, stop: Event) -> None:
    """In a process of its own (its event loop must not delay the editors' clock): `viewers` downloads
    of `url`, each read at `rate` KB/s, until `stop` is set."""

    async def viewer(client: httpx.AsyncClient, ready: list[int]) -> None:
        async with client.stream("GET", url) as response:
            response.raise_for_status()
            received, began = 0, time.monotonic()
            async for chunk in response.aiter_raw(4096):
                if not received:
                    ready.append(1)
                received += len(chunk)
                # Sleep until this viewer is back under its rate: a slow mobile connection.
                ahead = received / (rate * 1000) - (time.monotonic() - began)
                if ahead > 0:
                    await asyncio.sleep(ahead)
                if stop.is_set():
                    return

    async def main() -> None:
        ready: list[int] = []
        limits = httpx.Limits(max_connections=viewers + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            tasks = [asyncio.create_task(viewer(client, ready)) for _ in range(viewers)]
            while len(ready) < viewers:
                await asyncio.sleep(0.1)
                failed = [task for task in tasks if task.done() and task.exception()]
                if failed:
                    raise RuntimeError(f"a viewer failed: {failed[0].exception()!r}")
            started.set()
            await asyncio.gather(*tasks)

    asyncio.run(main())


@dataclass
class Held:
    threads: int = 0
    db_connections: int = 0
    rss: int = 0
    nginx_rss: int = 0


def sample(
    pid: int, nginx_pid: int, postgres: Postgres, database: str, stop: threading.Event, held: Held
) -> None:
    """The peaks of what FileAPI holds (threads, database connections, memory) and of nginx's memory."""
    process = psutil.Process(pid)
    nginx = psutil.Process(nginx_pid)
    with postgres.connect() as db:
        while not stop.is_set():
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            row = db.execute(query, [database]).fetchone()
            held.db_connections = max(held.db_connections, row[0] if row else 0)
            held.threads = max(held.threads, process.num_threads())
            held.rss = max(held.rss, process.memory_info().rss)
            workers = [nginx, *nginx.children()]
            held.nginx_rss = max(held.nginx_rss, sum(worker.memory_info().rss for worker in workers))
            time.sleep(0.2)


def report(label: str, seen: Editors, idle_p99: float | None = None) -> float:
    p99 = seen.percentile(0.99)
    ratio = f"   p99 {p99 / idle_p99:4.1f}x idle" if idle_p99 else ""
    print(
        f"  {label:<22} metadata n={len(seen.latencies):4d} p50 {seen.percentile(0.5):6.1f} ms  "
        f"p99 {p99:6.1f} ms  max {max(seen.latencies) * 1000:7.1f} ms  failed {seen.failed_metadata}{ratio}\n"
        f"  {'':<22} uploads {seen.uploads - seen.failed_uploads}/{seen.uploads} ok   "
        f"health {seen.health - seen.failed_health}/{seen.health} ok"
    )
    return p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--rate", type=int, default=20, help="KB/s per viewer (default 20)")
    parser.add_argument("--seconds", type=float, default=30, help="length of each measurement")
    parser.add_argument("--size", type=int, default=64, help="film size in MiB (default 64)")
    parser.add_argument("--via", nargs="+", choices=["nginx", "file_api"], default=["nginx", "file_api"])
    args = parser.parse_args()

    with bench_stack(with_nginx=True) as stack:
        file_api, nginx, postgres, config = stack.file_api, stack.nginx, stack.postgres, stack.config
        pid, nginx_pid = pid_of(file_api), pid_of(nginx)
        site = nginx.base_url
        with httpx.Client(base_url=site, timeout=600) as client:
            film = client.post(
                "/api/v1/",
                headers={"Authorization": f"Bearer {file_api.token}"},
                files={"file": ("film.mp4", os.urandom(args.size * MiB), "video/mp4")},
            ).json()
        print(
            f"{args.viewers} viewers at {args.rate} KB/s of a {args.size} MiB film; "
            f"editors measured for {args.seconds:.0f} s without viewers, then with them"
        )
        for via in args.via:
            origin = site if via == "nginx" else file_api.base_url
            url = origin + link_path(film["url"])
            print(f"viewers download through {via}:")
            idle = run_editors(site, file_api.token, film["short_name"], args.seconds)
            idle_p99 = report("no viewer", idle)

            started, stop = multiprocessing.Event(), multiprocessing.Event()
            viewers = multiprocessing.Process(
                target=watch_viewers, args=(url, args.viewers, args.rate, started, stop)
            )
            viewers.start()
            if not started.wait(timeout=120):
                stop.set()
                viewers.join()
                raise SystemExit(f"the {args.viewers} viewers did not all start within 120 s")
            held, sampling = Held(), threading.Event()
            sampler = threading.Thread(
                target=sample,
                args=(pid, nginx_pid, postgres, config.get("FILE_API_DB_NAME"), sampling, held),
            )
            sampler.start()
            loaded = run_editors(site, file_api.token, film["short_name"], args.seconds)
            sampling.set()
            sampler.join()
            stop.set()
            viewers.join(timeout=60)
            report(f"{args.viewers} viewers", loaded, idle_p99)
            print(
                f"  {'':<22} FileAPI at peak: {held.threads} threads, {held.db_connections} database "
                f"connections, {held.rss / MiB:.0f} MiB RSS; nginx {held.nginx_rss / MiB:.0f} MiB RSS"
            )
            print(f"  {'':<22} metadata p99 under load: {loaded.percentile(0.99):.1f} ms (target <= 50 ms)")
            _record(f"{args.viewers} viewers through {via}", f"no viewer, before {via}", idle, loaded, held)


def _record(load: str, no_load: str, idle: Editors, loaded: Editors, held: Held) -> None:
    """The figures of one way of viewing, for `make bench`'s page."""
    p99, idle_p99 = loaded.percentile(0.99), idle.percentile(0.99)
    record("viewers", f"metadata p99, {no_load}", idle_p99, "ms")
    record("viewers", f"metadata p50, {load}", loaded.percentile(0.5), "ms")
    record(
        "viewers",
        f"metadata p99, {load}",
        p99,
        "ms",
        target="<= 50 ms",
        better="lower",
        limit=50,
        ceiling=idle_p99,
        ceiling_label="no viewer",
    )
    record("viewers", f"metadata max, {load}", max(loaded.latencies) * 1000, "ms")
    failed = loaded.failed_metadata + loaded.failed_uploads + loaded.failed_health
    record("viewers", f"editor requests failed, {load}", failed, "", target="= 0", better="lower", limit=0)
    record("viewers", f"FileAPI threads at peak, {load}", held.threads, "")
    record("viewers", f"FileAPI database connections at peak, {load}", held.db_connections, "")
    record("viewers", f"FileAPI RSS at peak, {load}", held.rss / MiB, "MiB")
    record("viewers", f"nginx RSS at peak, {load}", held.nginx_rss / MiB, "MiB")


if __name__ == "__main__":
    main()
