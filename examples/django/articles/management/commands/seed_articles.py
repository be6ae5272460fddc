"""Loads the demo's sample articles (idempotent)."""
import django_edgecache
from django.core.management.base import BaseCommand

from articles.models import Article, Author

SAMPLES = [
    ("hello-edge", "Hello from the edge", "Ada", "This page is cached at the edge until the origin says otherwise."),
    ("tag-purges", "Purging by tag", "Ada", "One KV write invalidates every page that carries a tag."),
    ("fencing", "Why slow fills never resurrect", "Grace", "Stamps are captured before the origin is asked."),
]


class Command(BaseCommand):
    help = "Create the sample authors and articles if missing."

    def handle(self, *args, **options):
        # A fresh site: the edge holds none of it yet, so loading it purges nothing.
        with django_edgecache.suppressed():
            for slug, title, author_name, body in SAMPLES:
                author, _ = Author.objects.get_or_create(name=author_name)
                Article.objects.get_or_create(slug=slug, defaults={"title": title, "author": author, "body": body})
        self.stdout.write(f"{Article.objects.count()} articles")
