"""`manage.py ensure_superuser`: creates the superuser named in the environment unless it exists.

Reads DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_EMAIL, like
`createsuperuser --noinput`, but can run at every start: an existing user is left untouched. A new one's
password must pass AUTH_PASSWORD_VALIDATORS, as a password set in the admin must.
"""

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
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
        user_model = get_user_model()
        users = user_model._default_manager
        if users.filter(username=username).exists():
            self.stdout.write(f"superuser {username!r} exists")
            return
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        try:
            # The user it will be: the similarity validator compares the password with the name and email.
            validate_password(password, user_model(username=username, email=email))
        except ValidationError as exc:
            raise CommandError(f"DJANGO_SUPERUSER_PASSWORD is too weak: {' '.join(exc.messages)}") from exc
        users.create_superuser(username=username, email=email, password=password)
        self.stdout.write(f"superuser {username!r} created")
