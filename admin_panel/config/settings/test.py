"""Settings of the test suite: the base settings with fast, deterministic parts swapped in."""

import os
import tempfile

# Values the base settings require; the harness's real ones replace them in tests/conftest.py.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("POSTGRES_USER", "app")
os.environ.setdefault("POSTGRES_PASSWORD", "set-by-the-harness")
os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="admin-test-media-"))

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "en"
