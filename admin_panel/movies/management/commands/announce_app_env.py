"""`manage.py announce_app_env`: says at the admin's start which APP_ENV it runs in.

In development it prints a banner that the secrets are public; production needs no banner, since the
settings have already refused public and short secrets (config/app_env.py).
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from config.app_env import DEVELOPMENT, DEVELOPMENT_BANNER


class Command(BaseCommand):
    help = "Print the APP_ENV the admin runs in, with a warning banner in development."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.APP_ENV == DEVELOPMENT:
            line = "!" * 100
            self.stderr.write(f"{line}\n{DEVELOPMENT_BANNER}\n{line}")
        else:
            self.stdout.write(f"APP_ENV={settings.APP_ENV}: public and short secrets refused")
