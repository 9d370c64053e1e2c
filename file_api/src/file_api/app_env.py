"""APP_ENV, the switch between a developer's machine and everything else, and the secrets production refuses.

In `production` (the default: a missing APP_ENV must not relax anything) FileAPI refuses to start with a
secret that is public, i.e. one of .env.example's development values, or too short to resist guessing.
The admin keeps the same rule for its own secrets in `admin_panel/config/app_env.py`;
tests/stack/test_secrets.py proves both lists equal the `CHANGE` values of .env.example, the one home of
those values (FileAPI's image does not contain that file).
"""

from typing import Literal

AppEnv = Literal["development", "production"]

# 256 bits' worth of characters for keys, tokens and machine passwords (`openssl rand -hex 32` gives 64).
MIN_SECRET_LENGTH = 32

# Each secret FileAPI reads (its Settings field), with the shortest value production accepts.
SECRETS = {
    "file_api_db_password": MIN_SECRET_LENGTH,
    "file_api_s3_secret_key": MIN_SECRET_LENGTH,
    "file_api_token": MIN_SECRET_LENGTH,
    "file_api_url_signing_key": MIN_SECRET_LENGTH,
}

# .env.example's development values of those secrets: published with the code, so anyone knows them.
DEVELOPMENT_SECRETS = {
    "file_api_db_password": "dev-file-api-db-password",
    "file_api_s3_secret_key": "dev-file-api-s3-secret-change-me",
    "file_api_token": "dev-file-api-token-change-me",
    "file_api_url_signing_key": "dev-url-signing-key-change-me-0123456789abcdef",
}

DEVELOPMENT_BANNER = (
    "APP_ENV=development: the secrets may be the public development values of .env.example "
    "(FILE_API_TOKEN, the signing key, the database and S3 credentials). Never expose this FileAPI; set "
    "APP_ENV=production and new secrets to run it anywhere else."
)


def public_or_weak_secrets(values: dict[str, str]) -> list[str]:
    """What is wrong with the secrets among `values` (Settings field names), one sentence each."""
    problems = []
    for field, min_length in SECRETS.items():
        value, name = values.get(field, ""), field.upper()
        if not value:  # missing: Settings itself says whether it is required
            continue
        if value == DEVELOPMENT_SECRETS[field]:
            problems.append(f"{name} is the public development value of .env.example")
        elif len(value) < min_length:
            problems.append(f"{name} is shorter than {min_length} characters")
    return problems
