"""The admin's own pages carry a Content-Security-Policy that lets no inline or foreign script run.
(That Django's admin works under it in Chromium: tests/e2e/test_uploaded_payloads.py.)"""

import pytest
from django.test import Client
from django.urls import reverse


def directives(header: str) -> dict[str, list[str]]:
    parsed = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parsed}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "logged_in"),
    [("admin:login", False), ("admin:index", True), ("admin:movies_filmwork_add", True)],
)
def test_admin_pages_allow_scripts_from_this_site_only(
    client: Client, admin_client: Client, page: str, logged_in: bool
) -> None:
    response = (admin_client if logged_in else client).get(reverse(page))

    assert response.status_code == 200
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
