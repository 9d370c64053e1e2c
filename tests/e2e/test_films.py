"""A film's file through the admin in a real browser, for whichever storage backend the stack runs:
stored, listed with its size, downloaded from its link with the same bytes, replaced, deleted."""

from pathlib import Path
from typing import Any

import httpx
from admin_site import AdminSite
from downloads import sha256_of
from e2e_settings import E2ESettings
from playwright.sync_api import expect

MiB = 1024 * 1024
FIXTURES = Path(__file__).with_name("fixtures")


def test_film_with_genre_person_and_file(
    admin: AdminSite, site: httpx.Client, e2e: E2ESettings, backend: str, make_film: Any, unique: str
) -> None:
    genre, person = f"Space opera {unique}", f"Андрей Тарковский {unique}"
    admin.add_genre(genre)
    admin.add_person(person)
    film = make_film('Звёздные войны "Эпизод IV".mp4', 3 * MiB)
    title = f"Star Wars {unique}"

    change_url = admin.add_film(title, film.path, genre=genre, person=(person, "director"))

    row = admin.changelist_row(title)
    expect(row.locator("td.field-file_size_display")).to_have_text("3.0\xa0MB")
    expect(row.locator("td.field-download_link a")).to_be_visible()
    admin.screenshot("changelist", in_docs=True)
    link = admin.file_link(change_url)
    expect(admin.page.locator("#genrefilmwork_set-group")).to_contain_text(genre)
    expect(admin.page.locator("#personfilmwork_set-group")).to_contain_text(person)
    admin.screenshot("change-page", in_docs=True)
    assert sha256_of(link, site, e2e) == film.sha256

    # The change page names the file as the editor uploaded it (FileAPI stores it under a short name),
    # with its size and type, and plays it from the same link.
    current = admin.page.locator(".film-file p.file-upload")
    expect(current.locator("a")).to_have_text('Звёздные войны "Эпизод IV".mp4')
    expect(current.locator(".film-file-details")).to_have_text("3.0\xa0MB · video/mp4")
    href = current.locator("a").get_attribute("href")
    expect(admin.page.locator("video.film-player")).to_have_attribute("src", f"{href}#t=1")

    # The player seeks by ranges of the same link, whichever storage serves it.
    with film.path.open("rb") as original:
        original.seek(1000)
        expected = original.read(500)
    part = site.get(link, headers={"Range": "bytes=1000-1499"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-1499/{film.size}"
    assert part.content == expected

    if backend == "file_api":
        # The admin signed the link (FILE_API_SIGNED_URLS); without its signature FileAPI refuses it.
        assert "&signature=" in link
        assert site.get(link.split("?")[0]).status_code == 403


def test_big_film(
    admin: AdminSite, site: httpx.Client, e2e: E2ESettings, make_film: Any, unique: str
) -> None:
    film = make_film("big film.mkv", e2e.big_file_mib * MiB)
    admin.page.set_default_timeout(300_000)
    title = f"Big film {unique}"

    change_url = admin.add_film(title, film.path)

    expect(admin.changelist_row(title).locator("td.field-file_size_display")).to_have_text(
        f"{e2e.big_file_mib:.1f}\xa0MB"
    )
    assert sha256_of(admin.file_link(change_url), site, e2e) == film.sha256


def test_replaced_file_is_served_and_the_old_one_is_gone(
    admin: AdminSite, site: httpx.Client, e2e: E2ESettings, make_film: Any, unique: str
) -> None:
    first, second = make_film("first cut.mp4", 100_000), make_film("director's cut.mp4", 120_000)
    change_url = admin.add_film(f"Solaris {unique}", first.path)
    old_link = admin.file_link(change_url)

    admin.replace_file(change_url, second.path)

    new_link = admin.file_link(change_url)
    assert new_link != old_link
    assert sha256_of(new_link, site, e2e) == second.sha256
    assert site.get(old_link).status_code == 404  # the old object left the storage


def test_deleted_film_takes_its_file_along(
    admin: AdminSite, site: httpx.Client, make_film: Any, unique: str
) -> None:
    film = make_film("stalker.mp4", 100_000)
    change_url = admin.add_film(f"Stalker {unique}", film.path)
    link = admin.file_link(change_url)

    admin.delete_film(change_url)

    assert site.get(link).status_code == 404


def test_the_change_page_plays_the_film_and_seeks_in_it(admin: AdminSite, unique: str) -> None:
    # A real video (fixtures/make_film.py) whose index is at its end: the player reads it by a range near
    # the end, then seeks to 7 s by another range, from whichever storage serves the link.
    change_url = admin.add_film(f"Player {unique}", FIXTURES / "ten-seconds.mp4")
    admin.page.goto(change_url)
    player = admin.page.locator("video.film-player")

    admin.page.wait_for_function("() => document.querySelector('video.film-player').readyState >= 1")
    assert round(player.evaluate("video => video.duration")) == 10
    seeked = player.evaluate(
        """video => new Promise((resolve, reject) => {
            video.addEventListener('seeked', () => resolve(video.currentTime), { once: true });
            video.addEventListener('error', () => reject(new Error(`media error ${video.error.code}`)));
            video.currentTime = 7;
        })"""
    )

    assert seeked == 7
    admin.screenshot("film-player", in_docs=True)
    assert player.evaluate("video => video.error") is None
