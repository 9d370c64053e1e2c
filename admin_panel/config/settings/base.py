"""Settings of the admin panel, read from the environment (names as in the repository's .env.example)."""

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.app_env import PRODUCTION, refuse_public_secrets
from file_storage.config import FILM_STORAGE_ALIAS, film_storages, selected_film_storage

BASE_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()

# development | production (the default): production refuses the public secrets of .env.example.
APP_ENV = env.str("APP_ENV", default=PRODUCTION)
refuse_public_secrets(APP_ENV, os.environ)

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Behind TLS (nginx terminating https): cookies only over https, and HSTS. Only then is nginx's
# X-Forwarded-Proto (set from its own $scheme, whatever the client sent) what makes a request secure.
DJANGO_SECURE = env.bool("DJANGO_SECURE", default=False)
if DJANGO_SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_minio_backend",
    "file_storage",
    "movies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": env.str("ADMIN_DB_NAME", default="movies"),
        # The admin's own role, owner of its database only (postgres/init creates both).
        "USER": env.str("ADMIN_DB_USER"),
        "PASSWORD": env.str("ADMIN_DB_PASSWORD"),
        "HOST": env.str("POSTGRES_HOST", default="127.0.0.1"),
        "PORT": env.int("POSTGRES_PORT", default=5432),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ru")
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# Uploads over 2.5 MB go to a temporary file as they arrive: a film never sits in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = env.str("DJANGO_FILE_UPLOAD_TEMP_DIR", default=None)

# Where FilmWork files go: FILE_STORAGE_BACKEND picks one of the `films_*` storages as `films`.
FILE_STORAGE_BACKEND = env.str("FILE_STORAGE_BACKEND", default="local")
_FILM_STORAGES = film_storages(env, media_root=MEDIA_ROOT, media_url=MEDIA_URL)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # On disk, served by nginx: no bucket (django-minio-backend's MinioBackendStatic would make one public).
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    **_FILM_STORAGES,
    FILM_STORAGE_ALIAS: selected_film_storage(env, _FILM_STORAGES, FILE_STORAGE_BACKEND),
}

# /health/ready: each check gives up after this many seconds; a verdict serves the probes of this many.
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
HEALTH_CHECK_CACHE_SECONDS = env.float("HEALTH_CHECK_CACHE_SECONDS", default=5.0)

# The admin's pages load scripts, styles and images from this site only and run no inline script (Django's
# admin has none), so a script injected into a page finds nothing to run. django-csp sends the header.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}

# What the film form accepts (movies/forms.py). application/octet-stream is what a browser declares for a
# type its system does not know (often .mkv); the extension and the content are still checked.
FILM_ALLOWED_EXTENSIONS = env.list(
    "FILM_ALLOWED_EXTENSIONS", default=["mp4", "m4v", "mkv", "webm", "mov", "avi", "mpg", "mpeg"]
)
FILM_ALLOWED_CONTENT_TYPES = env.list(
    "FILM_ALLOWED_CONTENT_TYPES",
    default=[
        "video/mp4",
        "video/x-m4v",
        "video/matroska",  # RFC 9559; Chromium's name for .mkv
        "video/x-matroska",
        "video/webm",
        "video/quicktime",
        "video/x-msvideo",
        "video/avi",
        "video/msvideo",
        "video/mpeg",
        "application/octet-stream",
    ],
)

# Direct uploads of films from the browser to the storage (file_storage/direct_uploads.py).
# Part size: S3 takes at least 5 MiB; nginx takes at most 64 MiB on the part routes (its template).
DIRECT_UPLOAD_PART_SIZE = env.int("DIRECT_UPLOAD_PART_SIZE", default=16 * 1024**2)
if not 5 * 1024**2 <= DIRECT_UPLOAD_PART_SIZE <= 64 * 1024**2:
    raise ImproperlyConfigured("DIRECT_UPLOAD_PART_SIZE must be between 5 MiB and 64 MiB (in bytes)")
# The `local` backend's parts wait here: inside the media root, so completing is a rename, not a copy.
DIRECT_UPLOAD_LOCAL_DIR = env.path("DIRECT_UPLOAD_LOCAL_DIR", default=os.path.join(MEDIA_ROOT, ".uploads"))
# `manage.py reconcile_uploads` aborts uploads started, and removes stored films no form saved, this long ago.
DIRECT_UPLOAD_MAX_AGE_SECONDS = env.int("DIRECT_UPLOAD_MAX_AGE_SECONDS", default=24 * 3600)
# The largest film the admin takes (20 GiB, as nginx and FileAPI).
FILM_MAX_FILE_BYTES = env.int("FILM_MAX_FILE_BYTES", default=20 * 1024**3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
