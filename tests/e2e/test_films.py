"""A film's file through the admin in a real browser, for whichever storage backend the stack runs:
stored, listed with its size, downloaded from its link with the same bytes, replaced, deleted."""

from typing import Any

import httpx
from admin_site import AdminSite
from downloads import sha256_of
from e2e_settings import E2ESettings
from playwright.sync_api import expect

MiB = 1024 * 1024


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

    if backend == "file_api":
        # A video player seeking: the same signed link, by ranges.
        with film.path.open("rb") as original:
            original.seek(1000)
            expected = original.read(500)
        part = site.get(link, headers={"Range": "bytes=1000-1499"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 1000-1499/{film.size}"
        assert part.content == expected
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
