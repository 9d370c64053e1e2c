"""The admin's own doors: cookies and HSTS behind TLS (DJANGO_SECURE), and the superuser's password
checked by Django's validators. (nginx's doors, body sizes and the login rate: devstack's test_nginx.py.)"""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from devstack.services import AdminPanel
from devstack.settings import StackConfig

ADMIN_PANEL = Path(__file__).resolve().parents[1]

# A login through Django's test client in a process of its own: DJANGO_SECURE is read when the settings
# load. The request claims https the way nginx says it (X-Forwarded-Proto).
LOGIN_OVER_HTTPS = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")  # as manage.py and wsgi.py do
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # lets the test client's host in
client = Client(headers={"X-Forwarded-Proto": "https"})
page = client.get("/admin/login/")
login = client.post(
    "/admin/login/",
    {
        "username": os.environ["DJANGO_SUPERUSER_USERNAME"],
        "password": os.environ["DJANGO_SUPERUSER_PASSWORD"],
    },
)
print(json.dumps({
    "login": login.status_code,
    "hsts": page.headers.get("Strict-Transport-Security"),
    "secure_cookies": {name: bool(cookie["secure"]) for name, cookie in client.cookies.items()},
}))
"""


def login_over_https(admin_server: AdminPanel, **environment: str) -> dict[str, object]:
    # The admin process's own environment: its settings and its database, where its superuser is.
    env = admin_server.environment() | environment
    result = subprocess.run(
        [sys.executable, "-c", LOGIN_OVER_HTTPS],
        cwd=ADMIN_PANEL,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return outcome


def test_behind_tls_cookies_are_secure_and_hsts_is_sent(admin_server: AdminPanel) -> None:
    outcome = login_over_https(admin_server, DJANGO_SECURE="true")

    assert outcome["login"] == 302
    assert outcome["secure_cookies"] == {"csrftoken": True, "sessionid": True}
    assert outcome["hsts"] == "max-age=31536000"


def test_without_django_secure_the_forwarded_proto_is_not_trusted(admin_server: AdminPanel) -> None:
    outcome = login_over_https(admin_server, DJANGO_SECURE="false")

    assert outcome["login"] == 302
    assert outcome["secure_cookies"] == {"csrftoken": False, "sessionid": False}
    assert outcome["hsts"] is None  # the request was not taken for https


class TestSuperuserPassword:
    @pytest.fixture(autouse=True)
    def new_superuser(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "chief-editor")
        monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "chief-editor@example.com")

    @pytest.mark.django_db
    @pytest.mark.parametrize(
        ("password", "reason"),
        [
            ("12345678", "This password is too common."),
            ("x7!", "This password is too short."),
            ("chief-editor1", "The password is too similar to the username."),
        ],
    )
    def test_a_weak_password_is_refused(
        self, password: str, reason: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)

        with pytest.raises(CommandError, match=r"^DJANGO_SUPERUSER_PASSWORD is too weak: ") as refused:
            call_command("ensure_superuser")

        assert reason in str(refused.value)
        assert not get_user_model().objects.filter(username="chief-editor").exists()

    @pytest.mark.django_db
    def test_the_development_default_passes(
        self, stack_config: StackConfig, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", stack_config.get("DJANGO_SUPERUSER_PASSWORD"))

        call_command("ensure_superuser", stdout=StringIO())

        assert get_user_model().objects.get(username="chief-editor").is_superuser

    def test_the_command_exits_non_zero_with_the_reason(self, admin_server: AdminPanel) -> None:
        env = admin_server.environment() | {
            "DJANGO_SUPERUSER_USERNAME": "chief-editor",
            "DJANGO_SUPERUSER_PASSWORD": "password",
            "LANGUAGE_CODE": "en",
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "ensure_superuser"],
            cwd=ADMIN_PANEL,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

        assert result.returncode == 1
        assert "DJANGO_SUPERUSER_PASSWORD is too weak: This password is too common." in result.stderr
