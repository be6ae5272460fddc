"""Settings of the demo origin: a tiny blog whose saves purge the edgecache worker."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# A demo: the key is only for local sessions. Never deploy these settings.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "edgecache-demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_edgecache",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "demo.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"

# Where to purge (django-edgecache). The secret, the worker's PURGE_SECRETS (one whsec_ value), is
# read from the environment variable EDGECACHE_PURGE_SECRET.
EDGECACHE = {
    "PURGE_URL": os.environ.get("EDGECACHE_PURGE_URL", "http://127.0.0.1:8787/_edgecache/purge"),
    "TIMEOUT": float(os.environ.get("EDGECACHE_PURGE_TIMEOUT", "5")),
}

LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "articles": {"handlers": ["console"], "level": "INFO"},
        "django_edgecache": {"handlers": ["console"], "level": "INFO"},
    },
}
