"""Benchmark: a large film through FileAPI's upload and download, with FileAPI's peak memory.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI) on 127.0.0.1, streams a generated file of
--size MiB up (chunked multipart, nothing on disk) and back down, and prints throughput and the
FileAPI process's resident memory before and at its peak. Numbers only; it asserts nothing.

    uv run python file_api/benchmarks/transfer.py --size 1024
"""

import hashlib
import time

import httpx
import psutil
from films import GeneratedFilm, bench_stack, parse_options, pid_of, store_film

from devstack.bench_results import record
from devstack.measure import peak_rss

MiB = 1024**2


def main() -> None:
    size = parse_options(__doc__, size=(1024, "file size in MiB")).size * MiB

    with bench_stack() as stack, httpx.Client(base_url=stack.file_api.base_url, timeout=600) as client:
        file_api, pid = stack.file_api, pid_of(stack.file_api)
        film = GeneratedFilm(size)
        before_upload = psutil.Process(pid).memory_info().rss
        with peak_rss(pid) as upload_peak:
            started = time.perf_counter()
            stored = store_film(client, file_api, film)
            upload_seconds = time.perf_counter() - started
        assert stored["sha256"] == film.sha256.hexdigest(), "FileAPI stored other bytes"

        downloaded = hashlib.sha256()
        before_download = psutil.Process(pid).memory_info().rss
        with peak_rss(pid) as download_peak:
            started = time.perf_counter()
            with client.stream("GET", stored["url"]) as download:
                for chunk in download.iter_raw():
                    downloaded.update(chunk)
            download_seconds = time.perf_counter() - started
        assert downloaded.hexdigest() == stored["sha256"], "FileAPI sent back other bytes"

    mib = size / MiB
    print(f"file: {mib:.0f} MiB, sha256 equal both ways")
    for name, seconds, before, peak in [
        ("upload", upload_seconds, before_upload, upload_peak[pid]),
        ("download", download_seconds, before_download, download_peak[pid]),
    ]:
        print(
            f"{name:>8}: {seconds:6.1f} s  {mib / seconds:6.0f} MiB/s  "
            f"FileAPI RSS {before / MiB:.0f} MiB before, {peak / MiB:.0f} MiB peak"
        )
        record("transfer", f"{name} speed", mib / seconds, "MiB/s")
        record("transfer", f"FileAPI RSS peak, {name}", peak / MiB, "MiB")
        record("transfer", f"FileAPI RSS growth, {name}", (peak - before) / MiB, "MiB")


if __name__ == "__main__":
    main()
