"""Benchmark: a download through nginx and from FileAPI directly, against boto3's own download from S3.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI, nginx) on 127.0.0.1, stores a generated film of
--size MiB, then downloads it --runs times each way, alternating: boto3's TransferManager straight from
SeaweedFS (`download_fileobj`, 10 threads of 8 MiB ranges), FileAPI's link through nginx (FileAPI
authorizes, nginx streams from S3) and the same link from FileAPI itself (FileAPI streams). One client
reads each download as one stream, as a video player or a CDN does. It prints the median speed of each,
their ratio to boto3 (the target through nginx is >= 0.95), and the peak memory of FileAPI and nginx.
Numbers only; it asserts nothing but the length of what arrived.

    uv run python file_api/benchmarks/download_throughput.py --size 1024 --runs 3
"""

import os
import statistics
import time
from collections.abc import Callable

import httpx
from boto3.s3.transfer import TransferConfig
from films import GeneratedFilm, bench_stack, link_path, parse_options, pid_of, s3_reader, store_film

from devstack.bench_results import record
from devstack.measure import peak_rss

MiB = 1024**2
TRANSFER_MANAGER = TransferConfig(max_concurrency=10, multipart_chunksize=8 * MiB)


def main() -> None:
    args = parse_options(__doc__, size=(1024, "film size in MiB"), runs=(3, "downloads each way"))
    size: int = args.size * MiB

    with bench_stack(with_nginx=True) as stack, httpx.Client(timeout=600) as client:
        file_api, nginx = stack.file_api, stack.nginx
        pids = pid_of(file_api), pid_of(nginx)
        stored = store_film(client, file_api, GeneratedFilm(size))
        link = link_path(stored["url"])
        s3_client = s3_reader(stack.s3)
        bucket = stack.config.get("FILE_API_BUCKET")

        def with_boto3() -> int:
            with open(os.devnull, "wb") as sink:
                s3_client.download_fileobj(bucket, stored["short_name"], sink, Config=TRANSFER_MANAGER)
                return size  # boto3 raises if any part is missing

        def stream_from(origin: str) -> Callable[[], int]:
            def download() -> int:
                received = 0
                with client.stream("GET", origin + link) as response:
                    response.raise_for_status()
                    for chunk in response.iter_raw(MiB):
                        received += len(chunk)
                return received

            return download

        ways = {
            "boto3 from S3": with_boto3,
            "through nginx": stream_from(nginx.base_url),
            "FileAPI direct": stream_from(file_api.base_url),
        }
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        peaks: dict[str, list[int]] = {name: [0, 0] for name in ways}
        for _ in range(args.runs):
            for name, download in ways.items():
                with peak_rss(*pids) as peak:
                    started = time.perf_counter()
                    received = download()
                    seconds[name].append(time.perf_counter() - started)
                if received != size:
                    raise SystemExit(f"{name}: {received} bytes arrived of {size}")
                peaks[name] = [max(old, new) for old, new in zip(peaks[name], peak.values(), strict=True)]

    baseline = statistics.median(seconds["boto3 from S3"])
    print(f"file: {args.size} MiB, median of {args.runs}")
    for name, times in seconds.items():
        median = statistics.median(times)
        file_api_peak, nginx_peak = (value / MiB for value in peaks[name])
        print(
            f"{name:>15}: {args.size / median:5.0f} MiB/s  {baseline / median:4.2f} x boto3   "
            f"peak RSS FileAPI {file_api_peak:.0f} MiB, nginx {nginx_peak:.0f} MiB   "
            f"runs {', '.join(f'{value:.1f}' for value in times)} s"
        )
        speed, boto3_speed = args.size / median, args.size / baseline
        if name == "boto3 from S3":
            record("download", name, speed, "MiB/s")
            continue
        record("download", name, speed, "MiB/s", ceiling=boto3_speed, ceiling_label="boto3")
        # The target is the nginx path's (FileAPI's links point at nginx); FileAPI direct is for comparison.
        if name == "through nginx":
            target = ">= 0.95x boto3"
            record(
                "download",
                f"{name} / boto3",
                baseline / median,
                "x",
                target=target,
                better="higher",
                limit=0.95,
            )
        else:
            record("download", f"{name} / boto3", baseline / median, "x")
        record("download", f"FileAPI RSS peak, {name}", file_api_peak, "MiB")
        record("download", f"nginx RSS peak, {name}", nginx_peak, "MiB")


if __name__ == "__main__":
    main()
