"""Settings: one `EDGECACHE` dict in the project's settings, read once per use (tests may
override it).

    EDGECACHE = {
        "PURGE_URL": "https://example.com/_edgecache/purge",   # required
        "SECRET_ENV": "EDGECACHE_PURGE_SECRET",  # the environment variable holding the whsec_ secret
        "TIMEOUT": 5,             # seconds per delivery attempt
        "SOFT": False,            # purge softly (serve stale while revalidating) by default
        "TAG_PREFIX": "",         # prepended to every tag sent and every Cache-Tag (one namespace per site)
        "EDGE_TTL": 3600,         # seconds the edge keeps a tagged response (CDN-Cache-Control)
        "MAX_ATTEMPTS": 12,       # delivery attempts before a purge is marked failed
        "MAX_BACKOFF": 300,       # seconds, the longest wait between attempts
    }
"""
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    "SECRET_ENV": "EDGECACHE_PURGE_SECRET",
    "TIMEOUT": 5.0,
    "SOFT": False,
    "TAG_PREFIX": "",
    "EDGE_TTL": 3600,
    "MAX_ATTEMPTS": 12,
    "MAX_BACKOFF": 300,
}
# The edge refuses lists longer than this (README: purge body), so batches are cut to it.
MAX_LIST_ITEMS = 100


class MissingSecret(ImproperlyConfigured):
    """The purge secret is not in the environment: purges wait in the outbox until it is."""


@dataclass(frozen=True)
class Config:
    purge_url: str
    secret: str
    timeout: float
    max_attempts: int
    max_backoff: float

    def __repr__(self) -> str:  # never the secret
        return f"Config(purge_url={self.purge_url!r}, secret=<redacted>, timeout={self.timeout})"


def config() -> Config:
    """The settings, checked; ImproperlyConfigured says what is missing or wrong."""
    given = getattr(settings, "EDGECACHE", None)
    if not isinstance(given, dict):
        raise ImproperlyConfigured("settings.EDGECACHE must be a dict with at least PURGE_URL")
    unknown = set(given) - set(DEFAULTS) - {"PURGE_URL"}
    if unknown:
        raise ImproperlyConfigured(f"settings.EDGECACHE has unknown keys: {', '.join(sorted(unknown))}")
    merged = {**DEFAULTS, **given}
    url = merged.get("PURGE_URL")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured("settings.EDGECACHE['PURGE_URL'] must be an http(s) URL of the edge's /_edgecache/purge")
    secret = os.environ.get(merged["SECRET_ENV"], "")
    if not secret.startswith("whsec_"):
        raise MissingSecret(f"the environment variable {merged['SECRET_ENV']} must hold the edge's whsec_ purge secret")
    return Config(
        purge_url=url,
        secret=secret,
        timeout=float(merged["TIMEOUT"]),
        max_attempts=int(merged["MAX_ATTEMPTS"]),
        max_backoff=float(merged["MAX_BACKOFF"]),
    )


def _setting(name):
    """One setting without checking the others (rendering pages and queueing purges need no
    secret: a save never fails because the edge's secret is missing)."""
    return {**DEFAULTS, **(getattr(settings, "EDGECACHE", None) or {})}[name]


def tag_prefix() -> str:
    return str(_setting("TAG_PREFIX"))


def edge_ttl() -> int:
    return int(_setting("EDGE_TTL"))


def soft_by_default() -> bool:
    return bool(_setting("SOFT"))
