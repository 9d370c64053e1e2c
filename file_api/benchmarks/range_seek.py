"""Benchmark: a player seeking. Random byte ranges of a film through nginx on FileAPI's link, vs boto3.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI, nginx) on 127.0.0.1 and stores a generated film
of --size MiB through FileAPI. Then it asks --count times for --length KiB at a random offset, both ways
for each range, the order alternating: `Range: bytes=a-b` on FileAPI's signed link through nginx, the
way a video player seeks (FileAPI checks the link, finds the row and decides the range; nginx fetches
those bytes from S3), and boto3's `get_object(Range=...)` straight from SeaweedFS (the ceiling: S3 alone).
One client each way, one request at a time on a kept-alive connection, timed to the range's last byte.
It prints p50 / p99 / max of each and their ratio (the target: p50 through nginx <= 1.5 x boto3's, room
for FileAPI's check of the link and its row on top of S3's own answer). Numbers only; it asserts nothing
but that both ways return the same bytes, of the length asked for.

    uv run python file_api/benchmarks/range_seek.py --size 1024 --count 500
"""

import random
import time

import httpx
from films import GeneratedFilm, bench_stack, link_path, parse_options, s3_reader, store_film

from devstack.bench_results import record

MiB = 1024**2
KiB = 1024
WARM_UP = 10  # ranges each way before timing: connections, boto3's endpoint and signer
# A seek through FileAPI's link costs S3's own answer plus FileAPI's check of the link and its row.
TARGET_RATIO = 1.5


def percentile(times: list[float], fraction: float) -> float:
    """In milliseconds, as slow_viewers.py reads its latencies."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def main() -> None:
    args = parse_options(
        __doc__,
        size=(1024, "film size in MiB"),
        count=(500, "ranges timed each way"),
        length=(64, "length of each range in KiB"),
        seed=(7, "random offsets"),
    )
    size, length = args.size * MiB, args.length * KiB
    rng = random.Random(args.seed)  # noqa: S311 (offsets, not secrets)

    with bench_stack(with_nginx=True) as stack, httpx.Client(timeout=600) as client:
        stored = store_film(client, stack.file_api, GeneratedFilm(size))
        link = stack.nginx.base_url + link_path(stored["url"])
        s3_client = s3_reader(stack.s3)
        bucket, key = stack.config.get("FILE_API_BUCKET"), stored["short_name"]

        def through_nginx(start: int, end: int) -> bytes:
            answer = client.get(link, headers={"Range": f"bytes={start}-{end}"})
            if answer.status_code != 206 or answer.headers["content-range"] != f"bytes {start}-{end}/{size}":
                raise SystemExit(f"through nginx: {answer.status_code} {answer.headers} for {start}-{end}")
            return answer.content

        def with_boto3(start: int, end: int) -> bytes:
            body: bytes = s3_client.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end}")[
                "Body"
            ].read()
            return body

        ways = {"through nginx": through_nginx, "boto3 from S3": with_boto3}
        times: dict[str, list[float]] = {name: [] for name in ways}
        for index in range(WARM_UP + args.count):
            start = rng.randrange(size - length + 1)
            end = start + length - 1
            received = {}
            order = list(ways) if index % 2 == 0 else list(reversed(ways))
            for name in order:
                began = time.perf_counter()
                received[name] = ways[name](start, end)
                if index >= WARM_UP:
                    times[name].append(time.perf_counter() - began)
            if len(received["through nginx"]) != length or len(set(received.values())) != 1:
                raise SystemExit(f"range {start}-{end}: the two ways returned other bytes")

    print(f"film: {args.size} MiB; {args.count} ranges of {args.length} KiB at random offsets, each way")
    nginx_p50, nginx_p99 = percentile(times["through nginx"], 0.5), percentile(times["through nginx"], 0.99)
    boto3_p50, boto3_p99 = percentile(times["boto3 from S3"], 0.5), percentile(times["boto3 from S3"], 0.99)
    for name, seen in times.items():
        print(
            f"{name:>15}: p50 {percentile(seen, 0.5):6.1f} ms  p99 {percentile(seen, 0.99):6.1f} ms  "
            f"max {max(seen) * 1000:7.1f} ms"
        )
    print(
        f"  ratio through nginx / boto3: p50 {nginx_p50 / boto3_p50:.2f}, p99 {nginx_p99 / boto3_p99:.2f} "
        f"(target: p50 <= {TARGET_RATIO:.2f})"
    )
    record("range-seek", "p50 through nginx", nginx_p50, "ms", ceiling=boto3_p50, ceiling_label="boto3")
    record("range-seek", "p99 through nginx", nginx_p99, "ms", ceiling=boto3_p99, ceiling_label="boto3")
    record("range-seek", "max through nginx", max(times["through nginx"]) * 1000, "ms")
    record("range-seek", "p50 boto3 from S3", boto3_p50, "ms")
    record("range-seek", "p99 boto3 from S3", boto3_p99, "ms")
    record(
        "range-seek",
        "p50 through nginx / boto3",
        nginx_p50 / boto3_p50,
        "x",
        target=f"<= {TARGET_RATIO}x boto3",
        better="lower",
        limit=TARGET_RATIO,
    )
    record("range-seek", "p99 through nginx / boto3", nginx_p99 / boto3_p99, "x")


if __name__ == "__main__":
    main()
