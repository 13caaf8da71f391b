"""A minimal Django project signed in and out by the shared-session hub.

Everything about the hub comes from the environment (see README.md); the
rest is the smallest Django configuration that has users and sessions.
"""

import os
import secrets
import urllib.parse
from pathlib import Path

env = os.environ
BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = env.get("DATABASE") or str(BASE_DIR / "blog.sqlite")

# Only this example's development default: set DJANGO_SECRET_KEY in production.
SECRET_KEY = env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = env.get("DJANGO_DEBUG") == "1"
APP_ORIGIN = env.get("APP_ORIGIN", "")
ALLOWED_HOSTS = [urllib.parse.urlsplit(APP_ORIGIN).hostname or "localhost", "127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "shared_session.django",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shared_session.django.middleware.SharedSessionMiddleware",
]

ROOT_URLCONF = "blog.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [BASE_DIR / "blog" / "templates"], "APP_DIRS": False}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATABASE}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# Ended sessions (back-channel logouts) must be seen by every worker process:
# a file cache is shared on one machine; use Redis or Memcached across machines.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": DATABASE + ".cache"}}

LOGIN_URL = "shared_session:sign-in"

SHARED_SESSION = {
    "HUB": env.get("HUB_ORIGIN", ""),
    "APP_ORIGIN": APP_ORIGIN,
    "AUDIENCE": env.get("AUDIENCE", ""),
    "CLIENT_ID": env.get("CLIENT_ID") or None,
    "JWKS_URL": env.get("JWKS_URL") or None,
    "FORWARD_AUTH_URL": env.get("FORWARD_AUTH_URL") or None,
    "REVOCATION": env.get("REVOCATION") or "auto",
    "REVOCATION_CACHE_SECONDS": float(env.get("REVOCATION_CACHE_SECONDS") or 5),
    # Token confirmation: the hub vouches, once per browser and session, that a token is this browser's (CONFIRM=off: not asked).
    "CONFIRM": env.get("CONFIRM", "on") != "off",
}

LOGGING = {
    "version": 1,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"shared_session": {"handlers": ["stderr"], "level": "INFO"}},
}
