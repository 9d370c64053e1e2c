"""The admin as a person uses it, in a real browser: one method per thing they do."""

import re
import time
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Locator, Page, expect


class AdminSite:
    def __init__(self, page: Page, base_url: str, screenshots: Path, docs: Path | None = None) -> None:
        self.page = page
        self.base_url = base_url
        self.screenshots = screenshots
        self.docs = docs  # where the documentation's pictures go, when this run retakes them

    def screenshot(self, name: str, *, in_docs: bool = False) -> None:
        """Keeps a picture of the page as it is now, for people to look at (not compared to anything);
        `in_docs`: a picture the README or a tutorial shows, retaken by `make screenshots`."""
        folders = [self.screenshots, *([self.docs] if in_docs and self.docs else [])]
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=folder / f"{name}.png", full_page=True)

    def log_in(self, username: str, password: str) -> None:
        self.page.goto(f"{self.base_url}/admin/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("input[type=submit]")

    def add_genre(self, name: str) -> None:
        self.page.goto(f"{self.base_url}/admin/movies/genre/add/")
        self.page.fill("#id_name", name)
        self._save()

    def add_person(self, full_name: str) -> None:
        self.page.goto(f"{self.base_url}/admin/movies/person/add/")
        self.page.fill("#id_full_name", full_name)
        self._save()

    def add_film(
        self, title: str, file: Path, genre: str | None = None, person: tuple[str, str] | None = None
    ) -> str:
        """Fills the add form, a genre and a (person, role) through the inlines' autocomplete; returns the
        change page's URL."""
        self.page.goto(f"{self.base_url}/admin/movies/filmwork/add/")
        self.page.fill("#id_title", title)
        self.page.select_option("#id_type", "movie")
        self.page.fill("#id_rating", "87")
        if genre:
            self._autocomplete("id_genrefilmwork_set-0-genre", genre)
        if person:
            self._autocomplete("id_personfilmwork_set-0-person", person[0])
            self.page.select_option("#id_personfilmwork_set-0-role", person[1])
        self.page.set_input_files("#id_file", file)
        self._save()
        return self.change_url(title)

    def change_url(self, title: str) -> str:
        row = self.changelist_row(title)
        href = row.locator("th a").get_attribute("href")
        assert href, f"no change link for {title!r}"
        return urljoin(self.base_url, href)

    def changelist_row(self, title: str) -> Locator:
        self.page.goto(f"{self.base_url}/admin/movies/filmwork/?q={title}")
        row = self.page.locator("#result_list tbody tr", has_text=title)
        expect(row).to_have_count(1)
        return row

    def file_link(self, change_url: str) -> str:
        """The URL the change page links the stored file at ("Currently: <a href>")."""
        self.page.goto(change_url)
        href = self.page.locator("p.file-upload a").first.get_attribute("href")
        assert href, "the change page shows no file"
        return urljoin(self.base_url, href)

    # The film upload widget (movies/static/movies/film_upload.js)

    @property
    def widget(self) -> Locator:
        return self.page.locator(".film-upload")

    @property
    def upload_status(self) -> Locator:
        return self.page.locator(".film-upload-status")

    def start_film(self, title: str, file: Path) -> None:
        """Opens the add form, names the film and chooses its file: the widget starts uploading it."""
        self.page.goto(f"{self.base_url}/admin/movies/filmwork/add/")
        self.page.fill("#id_title", title)
        self.page.set_input_files("#id_file", file)
        expect(self.widget).to_have_attribute("data-upload-id", re.compile(".+"))

    def current_upload_id(self) -> str:
        upload_id = self.widget.get_attribute("data-upload-id")
        assert upload_id, "the widget started no upload"
        return upload_id

    def watch_upload(self, timeout_seconds: float = 300, picture_at_percent: int | None = None) -> list[int]:
        """The progress bar's values, sampled until the widget says stored; fails if it says failed.
        `picture_at_percent`: the screenshot `film-upload-progress` is taken once the bar gets there."""
        seen: list[int] = []
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            value, state = self.page.evaluate(
                "() => [document.querySelector('.film-upload-progress').value,"
                " document.querySelector('.film-upload').dataset.state]"
            )
            if not seen or seen[-1] != int(value):
                seen.append(int(value))
            if picture_at_percent is not None and state == "uploading" and value >= picture_at_percent:
                self.screenshot("film-upload-progress", in_docs=True)
                picture_at_percent = None
            if state == "stored":
                return seen
            assert state != "failed", self.upload_status.text_content()
            self.page.wait_for_timeout(20)
        raise AssertionError(f"the upload did not finish in {timeout_seconds} s: {seen}")

    def save_film(self, title: str) -> str:
        self._save()
        return self.change_url(title)

    def part_count(self, upload_id: str) -> int:
        """How many parts the upload's file has, as the admin planned it."""
        return int(
            self.page.request.get(f"{self.base_url}/admin/film-uploads/{upload_id}/").json()["partCount"]
        )

    def upload_status_code(self, upload_id: str) -> int:
        return self.page.request.get(f"{self.base_url}/admin/film-uploads/{upload_id}/").status

    def wait_for_stored_parts(self, upload_id: str, count: int, timeout_seconds: float = 60) -> int:
        """Waits until the storage holds at least `count` parts of the upload; returns how many it holds."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            parts = self.page.request.get(f"{self.base_url}/admin/film-uploads/{upload_id}/parts/").json()
            if len(parts) >= count:
                return len(parts)
            self.page.wait_for_timeout(100)
        raise AssertionError(f"the storage did not get {count} parts in {timeout_seconds} s")

    def replace_file(self, change_url: str, file: Path) -> None:
        self.page.goto(change_url)
        self.page.set_input_files("#id_file", file)
        self._save()

    def delete_film(self, change_url: str) -> None:
        self.page.goto(change_url)
        self.page.click("a.deletelink")
        self.page.click("input[type=submit]")
        expect(self.page.locator(".messagelist .success")).to_be_visible()

    def _autocomplete(self, select_id: str, text: str) -> None:
        # Django's autocomplete is select2: open it, type, pick the match the server sends back.
        self.page.click(f"#{select_id} + .select2 .select2-selection")
        self.page.fill(".select2-container--open .select2-search__field", text)
        self.page.locator(".select2-results__option", has_text=re.compile(re.escape(text))).first.click()

    def _save(self) -> None:
        self.page.click("input[name=_save]")
        expect(self.page.locator(".messagelist .success")).to_be_visible()
