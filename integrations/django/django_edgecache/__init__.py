"""django-edgecache: the origin side of edgecache for Django.

    INSTALLED_APPS = [..., "django_edgecache"]
    EDGECACHE = {"PURGE_URL": "https://example.com/_edgecache/purge"}   # secret: $EDGECACHE_PURGE_SECRET

    import django_edgecache
    django_edgecache.register(Article, tags=lambda a: ["articles", f"article:{a.slug}"])

    @django_edgecache.cache_tags("articles", lambda request, slug: f"article:{slug}")
    def detail(request, slug): ...

    django_edgecache.purge(["articles"])         # by hand, in the current transaction
    python manage.py edgecache_deliver           # sends what waits (cron, or --loop)
"""
from .tagging import CacheTagsMixin, add_tags, cache_tags

__all__ = ["register", "purge", "deliver", "suppressed", "Report", "cache_tags", "CacheTagsMixin", "add_tags"]


def __getattr__(name):
    # The outbox's model can only be imported once Django's apps are loaded: what needs it is
    # imported on first use, so `import django_edgecache` works in settings and urls alike.
    if name in ("register",):
        from .registry import register

        return register
    if name in ("purge", "deliver", "suppressed", "Report"):
        from . import delivery

        return {
            "purge": delivery.queue,
            "deliver": delivery.deliver,
            "suppressed": delivery.suppressed,
            "Report": delivery.Report,
        }[name]
    raise AttributeError(f"module 'django_edgecache' has no attribute {name!r}")
