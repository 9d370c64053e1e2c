"""Benchmark: a large film uploaded through the admin's add form, for each storage backend.

Starts a throwaway stack (Postgres, SeaweedFS, FileAPI, the admin under gunicorn, nginx) on 127.0.0.1,
logs in through nginx as a browser does, posts the FilmWork add form with a generated file of --size
MiB, downloads it back from the link the admin shows and prints time and the peak resident memory of
the admin's gunicorn workers, FileAPI and nginx per backend. Numbers only; it asserts nothing but the
bytes.

    uv run python admin_panel/benchmarks/admin_upload.py --size 1024 --backends file_api s3
"""

import argparse
import hashlib
import re
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from devstack.measure import peak_rss
from devstack.services import AdminPanel, FileAPI, Nginx, Postgres, SeaweedFS
from devstack.testing import running, throwaway

MiB = 1024**2
BACKENDS = ("local", "s3", "minio", "file_api")


def make_film(path: Path, size: int) -> str:
    sha256 = hashlib.sha256()
    block = hashlib.sha256(b"seed").digest() * (MiB // 32)
    with path.open("wb") as out:
        for index in range(size // MiB):
            chunk = index.to_bytes(8, "big") + block[8:]
            sha256.update(chunk)
            out.write(chunk)
    return sha256.hexdigest()


def log_in(client: httpx.Client, admin: AdminPanel) -> None:
    client.get("/admin/login/")
    response = client.post(
        "/admin/login/",
        data={
            "username": admin.config.get("DJANGO_SUPERUSER_USERNAME"),
            "password": admin.config.get("DJANGO_SUPERUSER_PASSWORD"),
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
            "next": "/admin/",
        },
    )
    assert response.status_code == 302, "login failed"


def upload_and_download(admin: AdminPanel, site: str, film: Path, digest: str) -> tuple[float, float]:
    with httpx.Client(base_url=site, timeout=3600) as client:
        log_in(client, admin)
        client.get("/admin/movies/filmwork/add/")
        form = {"title": "Benchmark", "type": "movie", "csrfmiddlewaretoken": client.cookies["csrftoken"]}
        for inline in ("genrefilmwork_set", "personfilmwork_set"):
            form |= {f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0"}
        started = time.perf_counter()
        with film.open("rb") as stream:
            response = client.post(
                "/admin/movies/filmwork/add/", data=form, files={"file": (film.name, stream)}
            )
        upload_seconds = time.perf_counter() - started
        assert response.status_code == 302, f"the admin refused the upload: {response.status_code}"
        changelist = client.get("/admin/movies/filmwork/", params={"q": "Benchmark"}).text
        change_page = re.search(r'href="(/admin/movies/filmwork/[0-9a-f-]+/change/)', changelist)
        assert change_page, "the film is not on the changelist"
        # The link the file widget shows: "Currently: <a href=URL>"
        link = re.search(r'class="file-upload">[^<]*<a href="([^"]+)"', client.get(change_page.group(1)).text)
        assert link, "no download link on the change page"
        url = link.group(1).replace("&amp;", "&")
        sha256 = hashlib.sha256()
        started = time.perf_counter()
        absolute_url = url if url.startswith("http") else site + url  # `local` links are paths on the site
        with httpx.stream("GET", absolute_url, timeout=3600) as body:
            for chunk in body.iter_bytes():
                sha256.update(chunk)
        download_seconds = time.perf_counter() - started
        assert sha256.hexdigest() == digest, "the link served other bytes"
    return upload_seconds, download_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    args = parser.parse_args()
    size = args.size * MiB

    with tempfile.TemporaryDirectory() as scratch, throwaway() as config:
        film = Path(scratch) / "film.mkv"
        digest = make_film(film, size)
        with running(Postgres(config)), running(SeaweedFS(config)), running(FileAPI(config)) as file_api:
            print(f"file: {args.size} MiB")
            for backend in args.backends:
                backend_config = replace(config, env={**config.env, "FILE_STORAGE_BACKEND": backend})
                with running(AdminPanel(backend_config)) as admin, running(Nginx(backend_config)) as nginx:
                    pids = {"admin": admin.pid(), "FileAPI": file_api.pid(), "nginx": nginx.pid()}
                    running_pids = [pid for pid in pids.values() if pid is not None]
                    assert len(running_pids) == len(pids), f"not running: {pids}"
                    with peak_rss(*running_pids) as peaks:
                        upload_seconds, download_seconds = upload_and_download(
                            admin, nginx.address, film, digest
                        )
                memory = ", ".join(
                    f"{name} {peaks[pid] / MiB:.0f} MiB" for name, pid in zip(pids, running_pids, strict=True)
                )
                speed = args.size / upload_seconds
                print(
                    f"{backend:>9}: upload {upload_seconds:5.1f} s ({speed:3.0f} MiB/s), "
                    f"download {download_seconds:5.1f} s; peak RSS (largest process of each): {memory}"
                )


if __name__ == "__main__":
    main()
