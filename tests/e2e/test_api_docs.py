"""FileAPI's interactive docs in Chromium with no network but the site's: Swagger UI comes from FileAPI
itself (fastapi-offline, pinned by uv.lock), renders the API, and "Try it out" works with the token."""

from admin_site import AdminSite
from e2e_settings import E2ESettings
from playwright.sync_api import Page, Request, Route, expect


def test_api_docs_render_offline_and_try_it_out_works_with_the_token(
    page: Page, e2e: E2ESettings, backend: str
) -> None:
    elsewhere: list[str] = []

    def only_the_site(route: Route, request: Request) -> None:
        if request.url.startswith(e2e.base_url + "/"):
            route.continue_()
        else:  # a CDN, a font, a tracker: the page must not need any of them
            elsewhere.append(request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_the_site)
    page.goto(f"{e2e.base_url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("FileAPI")
    listing = page.locator(
        ".opblock-get", has=page.locator(".opblock-summary-path[data-path='/api/v1/files']")
    )

    page.click(".swagger-ui .btn.authorize")
    page.locator(".auth-container input").fill(e2e.file_api_token)
    page.click(".auth-btn-wrapper .btn.authorize")
    page.click(".auth-btn-wrapper .btn-done")
    listing.locator(".opblock-summary").click()
    listing.locator(".try-out__btn").click()
    listing.locator(".btn.execute").click()

    expect(listing.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")
    AdminSite(page, e2e.base_url, e2e.artifacts / backend, e2e.docs_screenshots).screenshot(
        "api-docs", in_docs=True
    )
    assert elsewhere == []
