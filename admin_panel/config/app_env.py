"""APP_ENV, the switch between a developer's machine and everything else, and the secrets production refuses.

In `production` (the default: a missing APP_ENV must not relax anything) the admin refuses to start with a
secret that is public, i.e. one of .env.example's development values, or too short to resist guessing.
FileAPI keeps the same rule for its own secrets in `file_api/app_env.py`; tests/stack/test_secrets.py
proves both lists equal the `CHANGE` values of .env.example, the one home of those values.
"""

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT = "development"
PRODUCTION = "production"
APP_ENVS = (DEVELOPMENT, PRODUCTION)

# 256 bits' worth of characters for keys, tokens and machine passwords (`openssl rand -hex 32` gives 64).
MIN_SECRET_LENGTH = 32

# Each secret of .env.example (the admin checks those it is given), with the shortest value production
# accepts: 0 for an S3 access key, which is an identifier (AWS's are 20 characters), and for the
# superuser's password, typed by a person and judged by Django's password validators when the superuser
# is created.
SECRETS = {
    "DJANGO_SECRET_KEY": MIN_SECRET_LENGTH,
    "DJANGO_SUPERUSER_PASSWORD": 0,
    "POSTGRES_PASSWORD": MIN_SECRET_LENGTH,
    "FILE_API_DB_PASSWORD": MIN_SECRET_LENGTH,
    "ADMIN_DB_PASSWORD": MIN_SECRET_LENGTH,
    "S3_ACCESS_KEY": 0,
    "S3_SECRET_KEY": MIN_SECRET_LENGTH,
    "FILE_API_S3_SECRET_KEY": MIN_SECRET_LENGTH,
    "ADMIN_S3_SECRET_KEY": MIN_SECRET_LENGTH,
    "FILE_API_TOKEN": MIN_SECRET_LENGTH,
    "FILE_API_URL_SIGNING_KEY": MIN_SECRET_LENGTH,
}

# .env.example's development values of those secrets: published with the code, so anyone knows them.
DEVELOPMENT_SECRETS = {
    "DJANGO_SECRET_KEY": "dev-django-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz",
    "DJANGO_SUPERUSER_PASSWORD": "dev-admin-password-change-me",
    "POSTGRES_PASSWORD": "dev-postgres-password",
    "FILE_API_DB_PASSWORD": "dev-file-api-db-password",
    "ADMIN_DB_PASSWORD": "dev-admin-db-password",
    "S3_ACCESS_KEY": "dev-access-key",
    "S3_SECRET_KEY": "dev-secret-key-change-me",
    "FILE_API_S3_SECRET_KEY": "dev-file-api-s3-secret-change-me",
    "ADMIN_S3_SECRET_KEY": "dev-admin-s3-secret-change-me",
    "FILE_API_TOKEN": "dev-file-api-token-change-me",
    "FILE_API_URL_SIGNING_KEY": "dev-url-signing-key-change-me-0123456789abcdef",
}

DEVELOPMENT_BANNER = (
    "APP_ENV=development: the secrets may be the public development values of .env.example "
    "(admin password, tokens, keys). Never expose this stack; set APP_ENV=production and new secrets "
    "to run it anywhere else."
)


def refuse_public_secrets(app_env: str, environ: Mapping[str, str]) -> None:
    """In production, raise naming every secret that is a development value or too short."""
    if app_env not in APP_ENVS:
        raise ImproperlyConfigured(f"APP_ENV={app_env!r} is not one of: {', '.join(APP_ENVS)}")
    if app_env != PRODUCTION:
        return
    problems = []
    for name, min_length in SECRETS.items():
        value = environ.get(name, "")
        if not value:  # missing: the setting that needs it says so, or it is not needed (another backend)
            continue
        if value == DEVELOPMENT_SECRETS[name]:
            problems.append(f"{name} is the public development value of .env.example")
        elif len(value) < min_length:
            problems.append(f"{name} is shorter than {min_length} characters")
    if problems:
        raise ImproperlyConfigured(
            "APP_ENV=production refuses public or weak secrets: "
            + "; ".join(problems)
            + ". Set each to a new random value (e.g. `openssl rand -hex 32`), or set APP_ENV=development "
            "on a developer's machine."
        )
