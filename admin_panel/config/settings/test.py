"""Settings of the test suite: the base settings with fast, deterministic parts swapped in."""

import os
import tempfile

# Values the base settings require; the harness's real ones replace them in tests/conftest.py.
# The test values are public and short: only development accepts them.
os.environ.setdefault("APP_ENV", "development")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("ADMIN_DB_USER", "admin_panel")
os.environ.setdefault("ADMIN_DB_PASSWORD", "set-by-the-harness")
# Never inside the repository. The tests that store films point the storages at the harness's own folder.
os.environ.setdefault("DJANGO_MEDIA_ROOT", os.path.join(tempfile.gettempdir(), "admin-panel-test-media"))

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "en"
