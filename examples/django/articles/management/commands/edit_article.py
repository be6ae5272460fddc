"""Changes an article's title (or body), which purges it at the edge through the signals."""
from django.core.management.base import BaseCommand, CommandError

from articles.models import Article


class Command(BaseCommand):
    help = "Edit an article: edit_article <slug> --title T [--body B]"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--title")
        parser.add_argument("--body")

    def handle(self, slug, title=None, body=None, **options):
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            raise CommandError(f"no article {slug!r}")
        if title:
            article.title = title
        if body:
            article.body = body
        article.save()
        self.stdout.write(f"saved {slug}: {article.title}")
