"""Benchmark: a large film uploaded by the film upload widget in headless Chromium, for each backend.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI, the admin under gunicorn, nginx) on 127.0.0.1,
logs in through nginx, chooses a generated film of --size MiB in the add form (the widget sends it
straight to the storage in parallel parts), saves, downloads it back from the link the change page shows,
and prints: the upload's speed; for the remote backends its ratio to boto3's multipart upload of the same
file to the same SeaweedFS in the same run (the ceiling); the admin's peak memory over its idle memory;
the changelist's answer times while the upload runs. Numbers only; it asserts nothing but the bytes.

    uv run python admin_panel/benchmarks/admin_upload.py --size 1024 --backends file_api s3
"""

import argparse
import hashlib
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
from boto3.s3.transfer import TransferConfig
from playwright.sync_api import sync_playwright

from devstack.measure import peak_rss
from devstack.services import AdminPanel, FileAPI, Nginx, Postgres, SeaweedFS
from devstack.testing import running, throwaway

MiB = 1024**2
BACKENDS = ("local", "s3", "minio", "file_api")
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


def boto3_upload_seconds(s3: SeaweedFS, bucket: str, film: Path) -> float:
    """The ceiling: boto3's TransferManager (10 threads of 8 MiB) uploading the same file to the same S3."""
    client = s3.boto3_client()
    started = time.perf_counter()
    client.upload_file(str(film), bucket, "benchmark/boto3-ceiling", Config=TransferConfig())
    seconds = time.perf_counter() - started
    client.delete_object(Bucket=bucket, Key="benchmark/boto3-ceiling")
    return seconds


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


def upload_and_download(
    admin: AdminPanel, site: str, film: Path, digest: str, admin_pid: int, title: str
) -> tuple[float, float, int, list[float]]:
    """Upload seconds, download seconds, the admin's peak RSS during the upload, changelist times."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.set_default_timeout(3_600_000)
        page.goto(f"{site}/admin/")
        page.fill("#id_username", admin.config.get("DJANGO_SUPERUSER_USERNAME"))
        page.fill("#id_password", admin.config.get("DJANGO_SUPERUSER_PASSWORD"))
        page.click("input[type=submit]")
        page.wait_for_url(f"{site}/admin/")
        cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
        page.goto(f"{site}/admin/movies/filmwork/add/")
        page.fill("#id_title", title)
        with peak_rss(admin_pid) as peaks, ChangelistProbe(site, cookies) as probe:
            started = time.perf_counter()
            page.set_input_files("#id_file", film)
            page.wait_for_selector(".film-upload[data-state=stored], .film-upload[data-state=failed]")
            upload_seconds = time.perf_counter() - started
        state = page.get_attribute(".film-upload", "data-state")
        assert state == "stored", page.text_content(".film-upload-status")
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist .success")
        page.goto(f"{site}/admin/movies/filmwork/?q={title}")
        page.click("#result_list tbody th a")
        url = page.get_attribute("p.file-upload a", "href")
        assert url, "no download link on the change page"
        browser.close()
    sha256 = hashlib.sha256()
    started = time.perf_counter()
    absolute_url = url if url.startswith("http") else site + url  # `local` links are paths on the site
    with httpx.stream("GET", absolute_url, timeout=3600) as body:
        for chunk in body.iter_bytes():
            sha256.update(chunk)
    download_seconds = time.perf_counter() - started
    assert sha256.hexdigest() == digest, "the link served other bytes"
    return upload_seconds, download_seconds, peaks[admin_pid], probe.times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    args = parser.parse_args()
    size = args.size * MiB

    with tempfile.TemporaryDirectory() as scratch, throwaway() as config:
        film = Path(scratch) / "film.mkv"
        digest = make_film(film, size)
        with running(Postgres(config)), running(SeaweedFS(config)) as s3, running(FileAPI(config)):
            ceiling = boto3_upload_seconds(s3, config.get("ADMIN_S3_BUCKET"), film)
            print(f"file: {args.size} MiB; boto3 multipart to the same S3: {args.size / ceiling:.0f} MiB/s")
            print(
                "| backend | upload | vs boto3 | admin RSS idle → peak | changelist p50 / max during upload |"
            )
            print("| --- | --- | --- | --- | --- |")
            for backend in args.backends:
                backend_config = replace(config, env={**config.env, "FILE_STORAGE_BACKEND": backend})
                with running(AdminPanel(backend_config)) as admin, running(Nginx(backend_config)) as nginx:
                    admin_pid = admin.pid()
                    assert admin_pid is not None, "the admin is not running"
                    with peak_rss(admin_pid) as idle:
                        time.sleep(1)
                    upload_seconds, _download, peak, times = upload_and_download(
                        admin, nginx.address, film, digest, admin_pid, f"Benchmark {backend}"
                    )
                ratio = "—" if backend == "local" else f"{ceiling / upload_seconds:.2f}×"
                speed = f"{args.size / upload_seconds:.0f} MiB/s ({upload_seconds:.1f} s)"
                memory = f"{idle[admin_pid] / MiB:.0f} → {peak / MiB:.0f} MiB"
                latency = f"{statistics.median(times) * 1000:.0f} / {max(times) * 1000:.0f} ms ({len(times)})"
                print(f"| `{backend}` | {speed} | {ratio} | {memory} | {latency} |")


if __name__ == "__main__":
    main()
