"""FileAPI settings, read from the environment (names as in the repository's .env.example)."""

from functools import cached_property

from pydantic import AnyHttpUrl, PositiveFloat, PositiveInt, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import URL

GiB = 1024**3


class Settings(BaseSettings):
    # Only the process environment: whoever starts FileAPI (Compose, devstack, tests) passes it explicitly.
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    file_api_token: SecretStr
    file_api_max_upload_bytes: PositiveInt = 20 * GiB

    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str
    postgres_password: SecretStr
    file_api_db_name: str = "file_api"

    s3_endpoint_url: AnyHttpUrl
    s3_access_key: str
    s3_secret_key: SecretStr
    s3_region: str = "us-east-1"
    file_api_bucket: str = "films"
    # How long one S3 request may wait, and how often it is tried: a stopped or frozen S3 server makes
    # an upload or a download answer 503 within about attempts x timeout, and a retry covers a restart.
    s3_connect_timeout_seconds: PositiveFloat = 5
    s3_read_timeout_seconds: PositiveFloat = 10
    s3_max_attempts: PositiveInt = 3

    @cached_property
    def database_url(self) -> URL:
        return URL.create(
            "postgresql+psycopg",
            username=self.postgres_user,
            password=self.postgres_password.get_secret_value(),
            host=self.postgres_host,
            port=self.postgres_port,
            database=self.file_api_db_name,
        )
