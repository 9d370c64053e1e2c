"""`manage.py ensure_superuser`: creates the superuser named in the environment unless it exists.

Reads DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_EMAIL, like
`createsuperuser --noinput`, but can run at every start: an existing user is left untouched.
"""

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the superuser from DJANGO_SUPERUSER_* unless it already exists."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not username or not password:
            raise CommandError(
                "set DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD (see .env.example)"
            )
        users = get_user_model()._default_manager
        if users.filter(username=username).exists():
            self.stdout.write(f"superuser {username!r} exists")
            return
        users.create_superuser(
            username=username, email=os.environ.get("DJANGO_SUPERUSER_EMAIL", ""), password=password
        )
        self.stdout.write(f"superuser {username!r} created")
