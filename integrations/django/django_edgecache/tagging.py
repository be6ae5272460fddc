"""Tagging responses for the edge: which tags a page carries (`Cache-Tag`) and how long the edge
keeps it (`CDN-Cache-Control`), from one declaration.

    @cache_tags("articles", lambda request, slug: f"article:{slug}")
    def detail(request, slug): ...

    class ArticleList(CacheTagsMixin, ListView):
        cache_tags = ["articles"]

A template can add the tags of the objects it shows: `{% load edgecache %}{% cache_tag "author:7" %}`
(needs the `request` context processor).
"""
from functools import wraps

from .conf import edge_ttl, tag_prefix

REQUEST_TAGS = "_edgecache_tags"


def add_tags(request, *tags) -> None:
    """Adds `tags` to what the response to `request` carries (from views, templates, helpers)."""
    current = getattr(request, REQUEST_TAGS, None)
    if current is None:
        current = []
        setattr(request, REQUEST_TAGS, current)
    current.extend(t for t in tags if t)


def tag_response(request, response, tags, *, ttl: int | None = None, surrogate_key: bool = False, directives: str = ""):
    """Sets `Cache-Tag` (and `Surrogate-Key` when asked), `CDN-Cache-Control` (`max-age`, then
    `directives` such as "stale-while-revalidate=60") and a `Cache-Control` that makes browsers
    revalidate, unless the response already says otherwise or is not a 200."""
    if response.status_code != 200 or response.has_header("Cache-Control") and "private" in response["Cache-Control"]:
        return response
    prefix = tag_prefix()
    all_tags = sorted({f"{prefix}{t}" for t in [*tags, *getattr(request, REQUEST_TAGS, [])] if t})
    if all_tags:
        response["Cache-Tag"] = ",".join(all_tags)
        if surrogate_key:
            response["Surrogate-Key"] = " ".join(all_tags)
    response["CDN-Cache-Control"] = ", ".join(
        part for part in (f"max-age={ttl if ttl is not None else edge_ttl()}", directives) if part
    )
    if not response.has_header("Cache-Control"):
        response["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response


def _resolve(tags, request, args, kwargs):
    out = []
    for tag in tags:
        value = tag(request, *args, **kwargs) if callable(tag) else tag
        out.extend([value] if isinstance(value, str) else list(value or []))
    return out


def cache_tags(*tags, ttl: int | None = None, surrogate_key: bool = False, directives: str = ""):
    """A view decorator: the response carries `tags` (strings, or callables of the view's
    arguments returning a string or a list) and is kept `ttl` seconds at the edge (default:
    EDGE_TTL), with more `directives` for the edge if given."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if callable(render) and not getattr(response, "is_rendered", True):
                response.render()  # template tags add their tags while rendering
            return tag_response(
                request, response, _resolve(tags, request, args, kwargs),
                ttl=ttl, surrogate_key=surrogate_key, directives=directives,
            )

        return wrapped

    return decorate


class CacheTagsMixin:
    """For class-based views: `cache_tags` (a list) or `get_cache_tags()`, `cache_ttl`,
    `cache_directives`, `surrogate_key`."""

    cache_tags: list = []
    cache_ttl: int | None = None
    cache_directives: str = ""
    surrogate_key: bool = False

    def get_cache_tags(self) -> list:
        return _resolve(self.cache_tags, self.request, self.args, self.kwargs)

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
            response.render()
        return tag_response(
            request, response, self.get_cache_tags(),
            ttl=self.cache_ttl, surrogate_key=self.surrogate_key, directives=self.cache_directives,
        )
