"""The example shop's settings: an ordinary Django project. The guest_orders lines are
marked; they count toward the 60 lines a host writes (with the mapping and the URLs)."""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "Europe/Istanbul"
ROOT_URLCONF = "django_shop.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "shop",
    "guest_orders.contrib.django",  # guest_orders
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
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

# SQLite serializes writers: IMMEDIATE transactions wait for the lock (up to the timeout)
# instead of failing when two guests write at once.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_SHOP_SQLITE", str(BASE_DIR / "shop.sqlite3")),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        # Tests race threads: a file (an in-memory database locks whole tables instead).
        "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"django_shop_{os.getpid()}.sqlite3")},
    }
}


def _postgres(url: str) -> dict[str, object]:
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "django_shop",
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
        "TEST": {
            "NAME": os.environ.get("DJANGO_SHOP_TEST_POSTGRES_NAME", "test_django_shop"),
            "DEPENDENCIES": [],  # created on its own, also when only its tests run
        },
    }


# The tests run the shop on PostgreSQL too when a server is given.
if os.environ.get("GUEST_ORDERS_TEST_POSTGRES_URL"):
    DATABASES["postgres"] = _postgres(os.environ["GUEST_ORDERS_TEST_POSTGRES_URL"])

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The tests run the attempt limiter on a shared Redis cache too when a server is given.
if os.environ.get("GUEST_ORDERS_TEST_REDIS_URL"):
    CACHES["redis"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["GUEST_ORDERS_TEST_REDIS_URL"],
    }

GUEST_ORDERS = {"MAPPING": "shop.guest_orders.MAPPING"}  # guest_orders

# guest_orders logs to its logger, "guest_orders" (a view's unexpected error with its
# traceback, refused attempts, the relay's failures), with no handler of its own:
# Django's default LOGGING shows none of it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"guest_orders": {"handlers": ["console"], "level": "INFO"}},
}
