"""Benchmark: a large film uploaded by the film upload widget in headless Chromium, for each backend.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI, the admin under gunicorn, nginx) on 127.0.0.1,
logs in through nginx, chooses a generated film of --size MiB in the add form (the widget sends it
straight to the storage in parallel parts), saves, downloads it back from the link the change page shows,
and prints for each backend: the upload's speed; boto3's multipart upload of the same file to the same
SeaweedFS just before (the ceiling; for the remote backends the ratio to it); every process's idle and
peak memory and CPU seconds per GiB during the upload (on a machine with few cores the browser, nginx
and S3 share them, which is what caps the ratio); and the changelist's answer times while a second
upload runs (measured apart, so the probe does not slow the first). Numbers only; it asserts nothing but
the bytes.

    uv run python admin_panel/benchmarks/admin_upload.py --size 1024 --backends file_api s3
"""

import argparse
import hashlib
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import psutil
from boto3.s3.transfer import TransferConfig
from playwright.sync_api import sync_playwright

from devstack.bench_results import record
from devstack.measure import cpu_seconds, peak_rss
from devstack.services import AdminPanel, FileAPI, Nginx, Postgres, SeaweedFS, storage_backends
from devstack.settings import StackConfig
from devstack.testing import running, throwaway

BACKENDS = storage_backends()

MiB = 1024**2
MB = 1000**2
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def make_film(path: Path, size: int) -> str:
    sha256 = hashlib.sha256()
    block = hashlib.sha256(b"seed").digest() * (MiB // 32)
    with path.open("wb") as out:
        for index in range(size // MiB):
            chunk = index.to_bytes(8, "big") + block[8:]
            sha256.update(chunk)
            out.write(chunk)
    return sha256.hexdigest()


@dataclass
class Ceiling:
    """boto3's TransferManager (10 threads of 8 MiB) uploading the same file to the same S3."""

    seconds: float
    client_cpu: float  # CPU seconds of this process, where boto3 runs
    s3_cpu: float

    @classmethod
    def measure(cls, s3: SeaweedFS, bucket: str, film: Path) -> "Ceiling":
        client = s3.boto3_client()
        s3_pid = s3.pid()
        assert s3_pid is not None, "S3 is not running"
        ourselves = psutil.Process()
        client_before, s3_before = sum(ourselves.cpu_times()[:2]), cpu_seconds(s3_pid)
        started = time.perf_counter()
        client.upload_file(str(film), bucket, "benchmark/boto3-ceiling", Config=TransferConfig())
        seconds = time.perf_counter() - started
        client_cpu = sum(ourselves.cpu_times()[:2]) - client_before
        s3_cpu = cpu_seconds(s3_pid) - s3_before
        client.delete_object(Bucket=bucket, Key="benchmark/boto3-ceiling")
        return cls(seconds, client_cpu, s3_cpu)


class ChangelistProbe:
    """Times the film changelist, logged in, every 0.2 s while an upload runs (a second editor's view)."""

    def __init__(self, site: str, cookies: dict[str, str]) -> None:
        self.client = httpx.Client(base_url=site, cookies=cookies, timeout=30)
        self.times: list[float] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            started = time.perf_counter()
            assert self.client.get("/admin/movies/filmwork/").status_code == 200
            self.times.append(time.perf_counter() - started)
            self.done.wait(0.2)

    def __enter__(self) -> "ChangelistProbe":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.client.close()


class AdminBrowser:
    """Headless Chromium logged in to the admin through nginx, uploading films with the widget."""

    def __init__(self, admin: AdminPanel, site: str) -> None:
        self.site = site
        self._playwright = sync_playwright().start()
        chromium = self._playwright.chromium
        self.browser = chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        self.page = self.browser.new_page()
        self.page.set_default_timeout(3_600_000)
        self.page.goto(f"{site}/admin/")
        self.page.fill("#id_username", admin.config.get("DJANGO_SUPERUSER_USERNAME"))
        self.page.fill("#id_password", admin.config.get("DJANGO_SUPERUSER_PASSWORD"))
        self.page.click("input[type=submit]")
        self.page.wait_for_url(f"{site}/admin/")
        self.cookies = {cookie["name"]: cookie["value"] for cookie in self.page.context.cookies()}

    def pid(self) -> int:
        """Chromium's browser process (its renderers and network service are its children)."""
        chromium = [
            child for child in psutil.Process().children(recursive=True) if child.name() == "chromium"
        ]
        pids = {process.pid for process in chromium}
        (browser,) = (process.pid for process in chromium if process.ppid() not in pids)
        return browser

    def upload(self, film: Path, title: str) -> float:
        """Opens the add form, chooses the film and returns the seconds until the widget says stored."""
        self.page.goto(f"{self.site}/admin/movies/filmwork/add/")
        self.page.fill("#id_title", title)
        started = time.perf_counter()
        self.page.set_input_files("#id_file", film)
        self.page.wait_for_selector(".film-upload[data-state=stored], .film-upload[data-state=failed]")
        seconds = time.perf_counter() - started
        state = self.page.get_attribute(".film-upload", "data-state")
        assert state == "stored", self.page.text_content(".film-upload-status")
        return seconds

    def save_and_download_sha256(self, title: str) -> str:
        """Saves the form, follows the change page's link, and returns the sha256 of what it serves."""
        self.page.click("input[name=_save]")
        self.page.wait_for_selector(".messagelist .success")
        self.page.goto(f"{self.site}/admin/movies/filmwork/?q={title}")
        self.page.click("#result_list tbody th a")
        url = self.page.get_attribute("p.file-upload a", "href")
        assert url, "no download link on the change page"
        sha256 = hashlib.sha256()
        absolute_url = url if url.startswith("http") else self.site + url  # `local` links are paths
        with httpx.stream("GET", absolute_url, timeout=3600) as body:
            for chunk in body.iter_bytes():
                sha256.update(chunk)
        return sha256.hexdigest()

    def close(self) -> None:
        self.browser.close()
        self._playwright.stop()


def measure(
    backend: str,
    config: StackConfig,
    services: tuple[SeaweedFS, FileAPI],
    film: Path,
    digest: str,
    *,
    memory_only: bool,
) -> str:
    """One backend's row of the table: the ceiling, the widget's upload, memory, CPU, then latency."""
    s3, file_api = services
    gib = film.stat().st_size / 1024**3
    backend_config = replace(config, env={**config.env, "FILE_STORAGE_BACKEND": backend})
    with running(AdminPanel(backend_config)) as admin, running(Nginx(backend_config)) as nginx:
        ceiling = None if memory_only else Ceiling.measure(s3, config.get("ADMIN_S3_BUCKET"), film)
        browser = AdminBrowser(admin, nginx.address)
        try:
            found = {
                "admin": admin.pid(), "FileAPI": file_api.pid(), "nginx": nginx.pid(), "S3": s3.pid(),
                "browser": browser.pid(),
            }  # fmt: skip
            processes = {name: pid for name, pid in found.items() if pid is not None}
            assert processes == found, f"not all running: {found}"
            pids = list(processes.values())
            with peak_rss(*pids, interval=0.1) as idle:
                time.sleep(1)
            cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
            with peak_rss(*pids, interval=0.1) as peaks:
                upload_seconds = browser.upload(film, f"Benchmark {backend}")
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in processes.items()}
            sha256 = browser.save_and_download_sha256(f"Benchmark {backend}")
            assert sha256 == digest, "the link served other bytes"
            latency, times = "—", list[float]()
            if not memory_only:
                with ChangelistProbe(nginx.address, browser.cookies) as probe:
                    browser.upload(film, f"Benchmark {backend}, a second editor browsing")
                times = [seconds * 1000 for seconds in probe.times]
                latency = f"{statistics.median(times):.0f} / {max(times):.0f} ms ({len(times)})"
        finally:
            browser.close()
    speed = f"{gib * 1024 / upload_seconds:.0f} MiB/s ({upload_seconds:.1f} s)"
    admin_growth = (peaks[processes["admin"]] - idle[processes["admin"]]) / MB
    boto3_speed = None if ceiling is None else gib * 1024 / ceiling.seconds
    _record(backend, gib * 1024 / upload_seconds, boto3_speed, admin_growth, times)
    boto3, ratio = "—", "—"
    if ceiling is not None:
        boto3 = (
            f"{gib * 1024 / ceiling.seconds:.0f} MiB/s (CPU s per GiB: boto3 {ceiling.client_cpu / gib:.1f}, "
            f"S3 {ceiling.s3_cpu / gib:.1f})"
        )
        ratio = "—" if backend == "local" else f"{ceiling.seconds / upload_seconds:.2f}×"
    memory = ", ".join(
        f"{name} {idle[pid] / MiB:.0f} → {peaks[pid] / MiB:.0f}" for name, pid in processes.items()
    )
    cpu_per_gib = ", ".join(f"{name} {seconds / gib:.1f}" for name, seconds in cpu.items())
    cells = [f"`{backend}`", speed, boto3, ratio, memory, cpu_per_gib, latency]
    return "| " + " | ".join(cells) + " |"


def _record(
    backend: str, speed: float, boto3_speed: float | None, admin_growth: float, changelist: list[float]
) -> None:
    """One backend's key figures, for `make bench`'s page."""
    if backend == "local":
        # The admin's own disk, no S3 between: the target is the form post's speed before the widget.
        record(
            "admin",
            "widget upload, local",
            speed,
            "MiB/s",
            target=">= 119 MiB/s (the form post before the widget)",
            better="higher",
            limit=119,
            ceiling=boto3_speed,
            ceiling_label="boto3 to S3",
        )
    else:
        record(
            "admin", f"widget upload, {backend}", speed, "MiB/s", ceiling=boto3_speed, ceiling_label="boto3"
        )
        if boto3_speed is not None:
            ratio, target = speed / boto3_speed, ">= 0.9x boto3"
            record(
                "admin", f"widget / boto3, {backend}", ratio, "x", target=target, better="higher", limit=0.9
            )
    target = "<= 20 MB"
    record(
        "admin", f"admin RSS growth, {backend}", admin_growth, "MB", target=target, better="lower", limit=20
    )
    if changelist:
        record(
            "admin",
            f"changelist p50 during an upload, {backend}",
            statistics.median(changelist),
            "ms",
            target="< 200 ms",
            better="lower",
            limit=200,
            strict=True,
        )
        record("admin", f"changelist max during an upload, {backend}", max(changelist), "ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="only the widget's upload and download (memory, CPU): no boto3 ceiling, no second upload",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch, throwaway() as config:
        film = Path(scratch) / "film.mkv"
        digest = make_film(film, args.size * MiB)
        print(f"file: {args.size} MiB; {psutil.cpu_count()} cores")
        print(
            "| backend | upload | boto3 just before | vs boto3 | RSS idle → peak (MiB) "
            "| CPU s per GiB | changelist p50 / max (n) during a second upload |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        with running(Postgres(config)), running(SeaweedFS(config)) as s3, running(FileAPI(config)) as api:
            for backend in args.backends:
                row = measure(backend, config, (s3, api), film, digest, memory_only=args.memory_only)
                print(row, flush=True)


if __name__ == "__main__":
    main()
