"""Benchmark: an upload through FileAPI against boto3's own multipart upload to the same S3 server.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI) on 127.0.0.1 and uploads a generated film of
--size MiB --runs times each way, alternating: through FileAPI (a streamed multipart form, which FileAPI
parses, hashes and sends on as an S3 multipart upload) and straight to SeaweedFS with boto3's
TransferManager (`upload_fileobj`, 10 threads of 8 MiB parts, boto3's default client). It prints the
median speed of each and their ratio (the target is FileAPI >= 0.9 x boto3), and FileAPI's peak memory.
Numbers only; it asserts nothing.

    uv run python file_api/benchmarks/upload_throughput.py --size 1024 --runs 3
"""

import statistics
import time

import httpx
from boto3.s3.transfer import TransferConfig
from films import GeneratedFilm, bench_stack, parse_options, pid_of, store_film

from devstack.bench_results import record
from devstack.measure import peak_rss

MiB = 1024**2
TRANSFER_MANAGER = TransferConfig(max_concurrency=10, multipart_chunksize=8 * MiB)


class WholeReads(GeneratedFilm):
    """The generated film, read(n) returning n bytes until the end, as boto3 expects of a file: it takes
    a short read for the end of the stream."""

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = self.remaining
        blocks = []
        while size > 0 and (block := super().read(size)):
            blocks.append(block)
            size -= len(block)
        return b"".join(blocks)


def main() -> None:
    args = parse_options(__doc__, size=(1024, "film size in MiB"), runs=(3, "uploads each way"))
    size = args.size * MiB

    with (
        bench_stack() as stack,
        httpx.Client(base_url=stack.file_api.base_url, timeout=600) as client,
    ):
        file_api, pid = stack.file_api, pid_of(stack.file_api)
        bucket = stack.config.get("FILE_API_BUCKET")
        s3_client = stack.s3.boto3_client()
        through_file_api: list[float] = []
        with_boto3: list[float] = []
        peak_memory = 0
        for run in range(args.runs):
            film = GeneratedFilm(size)
            with peak_rss(pid) as peaks:
                started = time.perf_counter()
                stored = store_film(client, file_api, film)
                through_file_api.append(time.perf_counter() - started)
            peak_memory = max(peak_memory, peaks[pid])
            # Removed through FileAPI, so SeaweedFS holds one film at a time in both cases.
            client.delete(
                f"/api/v1/files/{stored['short_name']}",
                headers={"Authorization": f"Bearer {file_api.token}"},
            ).raise_for_status()

            started = time.perf_counter()
            s3_client.upload_fileobj(WholeReads(size), bucket, f"boto3-{run}", Config=TRANSFER_MANAGER)
            with_boto3.append(time.perf_counter() - started)
            s3_client.delete_object(Bucket=bucket, Key=f"boto3-{run}")
            print(f"run {run + 1}: FileAPI {through_file_api[-1]:.1f} s, boto3 {with_boto3[-1]:.1f} s")

    mib = size / MiB
    file_api_speed = mib / statistics.median(through_file_api)
    boto3_speed = mib / statistics.median(with_boto3)
    print(f"film: {mib:.0f} MiB, median of {args.runs}")
    print(f"  through FileAPI: {file_api_speed:6.0f} MiB/s  (FileAPI RSS peak {peak_memory / MiB:.0f} MiB)")
    print(f"  boto3 TransferManager, 10 threads: {boto3_speed:6.0f} MiB/s")
    print(f"  ratio FileAPI / boto3: {file_api_speed / boto3_speed:.2f} (target >= 0.90)")
    record("upload", "through FileAPI", file_api_speed, "MiB/s", ceiling=boto3_speed, ceiling_label="boto3")
    record("upload", "boto3 TransferManager, 10 threads", boto3_speed, "MiB/s")
    ratio = file_api_speed / boto3_speed
    record("upload", "FileAPI / boto3", ratio, "x", target=">= 0.9x boto3", better="higher", limit=0.9)
    record("upload", "FileAPI RSS peak", peak_memory / MiB, "MiB")


if __name__ == "__main__":
    main()
