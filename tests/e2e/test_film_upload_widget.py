"""The film upload widget in Chromium, for whichever backend the stack runs: a film goes straight to the
storage in parallel parts with a progress bar, survives a failed part, is cancelled without a trace, and
after a reload resumes with only the parts the storage lacks."""

import re
from collections.abc import Callable
from typing import Any

import httpx
from admin_site import AdminSite
from downloads import sha256_of
from e2e_settings import E2ESettings
from playwright.sync_api import Request, Route, expect

MiB = 1024 * 1024
# What a part upload looks like, whichever backend receives it (S3's bucket path, FileAPI, the admin).
PART_URL = re.compile(
    r"partNumber=\d+|/api/v1/uploads/[^/]+/parts/\d+$|/admin/film-uploads/[^/]+/parts/\d+/$"
)


def is_part(request: Request) -> bool:
    return request.method == "PUT" and PART_URL.search(request.url) is not None


def parts_cut_after(count: int) -> Callable[[Route, Request], None]:
    """A route handler that lets `count` parts through, then cuts off every other part on the wire."""
    passed: list[str] = []

    def cut(route: Route, request: Request) -> None:
        if not is_part(request):
            route.continue_()
        elif len(passed) < count:
            passed.append(request.url)
            route.continue_()
        else:
            route.abort("connectionreset")

    return cut


def test_film_goes_to_storage_with_rising_progress_and_downloads_intact(
    admin: AdminSite, site: httpx.Client, e2e: E2ESettings, make_film: Any, unique: str
) -> None:
    film = make_film("Сталкер.mp4", e2e.big_file_mib * MiB)
    admin.start_film(f"Widget {unique}", film.path)

    seen = admin.watch_upload(picture_at_percent=40)

    assert seen[-1] == 100
    assert any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen), "the progress bar went back"
    expect(admin.upload_status).to_contain_text("Сталкер.mp4")
    admin.screenshot("film-upload-stored", in_docs=True)
    change_url = admin.save_film(f"Widget {unique}")
    expect(admin.changelist_row(f"Widget {unique}").locator("td.field-file_size_display")).to_have_text(
        f"{e2e.big_file_mib:.1f}\xa0MB"
    )
    assert sha256_of(admin.file_link(change_url), site, e2e) == film.sha256


def test_a_failed_part_is_sent_again(
    admin: AdminSite, site: httpx.Client, e2e: E2ESettings, make_film: Any, unique: str
) -> None:
    film = make_film("retried.mp4", 40 * MiB)
    failed: list[str] = []

    def fail_first_part(route: Route, request: Request) -> None:
        if is_part(request) and not failed:
            failed.append(request.url)
            route.abort("connectionreset")  # the line dropped in the middle of a part
        else:
            route.continue_()

    admin.page.route("**/*", fail_first_part)
    admin.start_film(f"Retried {unique}", film.path)

    assert admin.watch_upload()[-1] == 100
    assert failed, "no part went out"
    change_url = admin.save_film(f"Retried {unique}")
    assert sha256_of(admin.file_link(change_url), site, e2e) == film.sha256


def test_cancel_leaves_no_upload_behind(admin: AdminSite, make_film: Any, unique: str) -> None:
    film = make_film("cancelled.mp4", 60 * MiB)
    # Parts after the first two never arrive, so the upload is still running when Cancel is pressed.
    admin.page.route("**/*", parts_cut_after(2))
    admin.start_film(f"Cancelled {unique}", film.path)
    upload_id = admin.current_upload_id()
    admin.page.wait_for_function("() => document.querySelector('.film-upload-progress').value > 0")

    admin.page.click(".film-upload-cancel")

    expect(admin.widget).to_have_attribute("data-state", "cancelled")
    assert admin.upload_status_code(upload_id) == 404  # the admin forgot it: aborted in the storage
    expect(admin.page.locator("input[name=_save]")).to_be_enabled()


def test_reload_then_same_file_sends_only_the_missing_parts(
    admin: AdminSite, site: httpx.Client, e2e: E2ESettings, make_film: Any, unique: str
) -> None:
    film = make_film("resumed.mkv", 100 * MiB)
    stored_before_reload = 2
    admin.page.route("**/*", parts_cut_after(stored_before_reload))
    admin.start_film(f"Resumed {unique}", film.path)
    upload_id = admin.current_upload_id()
    admin.wait_for_stored_parts(upload_id, stored_before_reload)

    admin.page.reload()  # first: no retry of the old page may go out once the parts may pass again
    admin.page.unroute("**/*")
    # A part cut off on its way may still have arrived whole: count what the storage holds now.
    stored = admin.wait_for_stored_parts(upload_id, stored_before_reload)
    part_count = admin.part_count(upload_id)
    sent_after_reload: list[str] = []
    admin.page.on(
        "request", lambda request: sent_after_reload.append(request.url) if is_part(request) else None
    )
    admin.start_film(f"Resumed {unique}", film.path)

    assert admin.watch_upload()[-1] == 100
    assert admin.current_upload_id() == upload_id
    assert stored < part_count
    assert len(sent_after_reload) == part_count - stored
    change_url = admin.save_film(f"Resumed {unique}")
    assert sha256_of(admin.file_link(change_url), site, e2e) == film.sha256
