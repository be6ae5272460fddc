"""Loads the demo's sample articles (idempotent)."""
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
        for slug, title, author_name, body in SAMPLES:
            author, _ = Author.objects.get_or_create(name=author_name)
            Article.objects.get_or_create(slug=slug, defaults={"title": title, "author": author, "body": body})
        self.stdout.write(f"{Article.objects.count()} articles")
