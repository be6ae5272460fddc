"""The demo origin's pages. Each response says how long the edge may keep it and which tags it
carries, so a purge of `article:{slug}` reaches every page that shows the article."""
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.utils.html import escape

from django_edgecache import add_tags, cache_tags

from .models import Article

# Browsers revalidate; the edge keeps a page for an hour (EDGE_TTL) or until purged, and may
# serve it stale for a minute while refreshing, or for a day when the origin is down.
edge_cached = cache_tags(directives="stale-while-revalidate=60, stale-if-error=86400")


@edge_cached
def index(request):
    articles = Article.objects.select_related("author")
    items = "".join(
        f'<li><a href="/articles/{a.slug}">{escape(a.title)}</a> by {escape(a.author.name)}</li>' for a in articles
    )
    html = f"<!doctype html><title>Articles</title><h1>Articles</h1><ul>{items}</ul>"
    add_tags(request, "articles", *(t for a in articles for t in a.page_tags()))
    return HttpResponse(html)


@edge_cached
def detail(request, slug: str):
    article = get_object_or_404(Article.objects.select_related("author"), slug=slug)
    html = (
        f"<!doctype html><title>{escape(article.title)}</title><h1>{escape(article.title)}</h1>"
        f"<p>by {escape(article.author.name)}</p><div>{escape(article.body)}</div>"
        f"<p><small>updated {article.updated_at.isoformat()}</small></p>"
    )
    add_tags(request, *article.page_tags())
    return HttpResponse(html)


def _json(article: Article) -> dict:
    return {
        "slug": article.slug,
        "title": article.title,
        "body": article.body,
        "author": {"id": article.author_id, "name": article.author.name},
        "updated_at": article.updated_at.isoformat(),
        "tags": article.page_tags(),
    }


@edge_cached
def api_list(request):
    articles = list(Article.objects.select_related("author"))
    add_tags(request, "articles", *(t for a in articles for t in a.page_tags()))
    return JsonResponse({"articles": [_json(a) for a in articles]})


@edge_cached
def api_detail(request, slug: str):
    article = get_object_or_404(Article.objects.select_related("author"), slug=slug)
    add_tags(request, *article.page_tags())
    return JsonResponse(_json(article))


@csrf_exempt
@require_POST
def api_edit(request, slug: str):
    """The demo's "change this article" button: retitles it, which purges the edge (post_save).

    Unauthenticated and CSRF-exempt because it is a local demo; never do this in production.
    """
    article = get_object_or_404(Article, slug=slug)
    article.title = f"{article.title.split(' (edited')[0]} (edited {timezone.now():%H:%M:%S})"
    article.save()
    response = JsonResponse(_json(article))
    response["Cache-Control"] = "no-store"
    return response
