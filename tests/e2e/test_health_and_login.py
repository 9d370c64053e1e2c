"""The system answers through nginx, and only the right password opens the admin."""

import httpx
from admin_site import AdminSite
from e2e_settings import E2ESettings
from playwright.sync_api import Browser, Page, expect


def test_file_api_health_through_nginx(site: httpx.Client) -> None:
    response = site.get("/api/v1/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_admin_health_through_nginx(site: httpx.Client) -> None:
    assert site.get("/health/live").json() == {"status": "ok"}
    response = site.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}


def test_log_in(page: Page, e2e: E2ESettings, backend: str) -> None:
    admin = AdminSite(page, e2e.base_url, e2e.artifacts / backend)
    page.goto(f"{e2e.base_url}/admin/")
    admin.screenshot("login")

    admin.log_in(e2e.username, e2e.password)

    expect(page.locator("#user-tools")).to_contain_text(e2e.username)
    admin.screenshot("index")


def test_wrong_password_is_refused(page: Page, e2e: E2ESettings, backend: str) -> None:
    admin = AdminSite(page, e2e.base_url, e2e.artifacts / backend)

    admin.log_in(e2e.username, "not-the-password")

    expect(page.locator(".errornote")).to_be_visible()
    expect(page).to_have_url(f"{e2e.base_url}/admin/login/?next=/admin/")


def test_admin_speaks_russian_to_a_russian_browser(browser: Browser, e2e: E2ESettings, backend: str) -> None:
    context = browser.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        admin = AdminSite(page, e2e.base_url, e2e.artifacts / backend)
        admin.log_in(e2e.username, e2e.password)
        page.goto(f"{e2e.base_url}/admin/movies/filmwork/")

        expect(page.locator("#content h1")).to_contain_text("Выберите кинопроизведение")
        expect(page.locator("#result_list thead")).to_contain_text("Размер файла")
        admin.screenshot("changelist-ru")
    finally:
        context.close()
