"""FileAPI settings, read from the environment (names as in the repository's .env.example)."""

from functools import cached_property
from typing import Self

from pydantic import (
    AnyHttpUrl,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import URL

from file_api.app_env import AppEnv, public_or_weak_secrets
from signed_links import MIN_KEY_LENGTH

GiB = 1024**3
HOUR = 3600


class Settings(BaseSettings):
    # Only the process environment: whoever starts FileAPI (Compose, devstack, tests) passes it explicitly.
    # A refused setting is named in the error, but no value is printed: the values include secrets.
    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    # production (the default) refuses the public secrets of .env.example and short ones.
    app_env: AppEnv = "production"
    file_api_token: SecretStr
    file_api_max_upload_bytes: PositiveInt = 20 * GiB
    # On unless turned off: a link FileAPI hands out must not open a film to anyone, forever.
    file_api_signed_urls: bool = True
    file_api_url_signing_key: SecretStr = SecretStr("")
    # A player keeps requesting ranges of the same link for the whole film: 12 hours cover the longest film
    # with long pauses, and a leaked link still dies the same day.
    file_api_signed_url_lifetime: PositiveInt = 12 * HOUR
    # How long an upload grant lets a browser send parts (signed with FILE_API_URL_SIGNING_KEY). An hour
    # covers a few GiB on a slow line; the admin renews the grant for longer or resumed uploads.
    file_api_upload_grant_lifetime: PositiveInt = HOUR

    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    # FileAPI's own role, owner of its database only (postgres/init creates both).
    file_api_db_user: str
    file_api_db_password: SecretStr
    file_api_db_name: str = "file_api"
    # Connections per FileAPI process: pool_size kept open, max_overflow more under a burst. A request
    # holds one only while it reads or writes a row (never while bytes flow), so a few serve hundreds
    # of clients; a request that waits longer than pool_timeout for one gets 503, not a hang.
    file_api_db_pool_size: PositiveInt = 5
    file_api_db_max_overflow: NonNegativeInt = 10
    file_api_db_pool_timeout: PositiveFloat = 5.0

    s3_endpoint_url: AnyHttpUrl
    # FileAPI's own key, allowed only the objects of its bucket (not the S3 server's root key).
    file_api_s3_access_key: str
    file_api_s3_secret_key: SecretStr
    s3_region: str = "us-east-1"
    file_api_bucket: str = "films"
    # How long one S3 request may wait, and how often it is tried: a stopped or frozen S3 server makes
    # an upload or a download answer 503 within about attempts x timeout, and a retry covers a restart.
    s3_connect_timeout_seconds: PositiveFloat = 5
    s3_read_timeout_seconds: PositiveFloat = 10
    s3_max_attempts: PositiveInt = 3
    # How long a starting FileAPI waits for S3 to answer: `docker compose restart` starts every service at
    # once, and S3 may come up after FileAPI.
    file_api_startup_wait_seconds: NonNegativeFloat = 60

    @model_validator(mode="after")
    def _signing_key_is_strong_enough(self) -> Self:
        key = self.file_api_url_signing_key.get_secret_value()
        if self.file_api_signed_urls and len(key) < MIN_KEY_LENGTH:
            raise ValueError(
                f"FILE_API_SIGNED_URLS is on: set FILE_API_URL_SIGNING_KEY to a random string of at least "
                f"{MIN_KEY_LENGTH} characters (the admin signs links with the same key), or turn signing off"
            )
        return self

    @model_validator(mode="after")
    def _production_secrets_are_private(self) -> Self:
        if self.app_env != "production":
            return self
        values = {
            field: value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            for field, value in self
        }
        if problems := public_or_weak_secrets(values):
            raise ValueError(
                "APP_ENV=production refuses public or weak secrets: "
                + "; ".join(problems)
                + ". Set each to a new random value (e.g. `openssl rand -hex 32`), or set "
                "APP_ENV=development on a developer's machine."
            )
        return self

    @cached_property
    def database_url(self) -> URL:
        return URL.create(
            "postgresql+psycopg",
            username=self.file_api_db_user,
            password=self.file_api_db_password.get_secret_value(),
            host=self.postgres_host,
            port=self.postgres_port,
            database=self.file_api_db_name,
        )
