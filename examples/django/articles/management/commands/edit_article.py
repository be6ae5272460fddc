"""Changes an article's title (or body), which purges it at the edge through the signals."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.models import Article


class Command(BaseCommand):
    help = "Edit an article: edit_article <slug> --title T [--body B]"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--title")
        parser.add_argument("--body")
        parser.add_argument("--rollback", action="store_true", help="save, then roll the transaction back")

    def handle(self, slug, title=None, body=None, rollback=False, **options):
        if rollback:
            try:
                with transaction.atomic():
                    self.save(slug, title, body)
                    raise RuntimeError("rolled back on purpose")
            except RuntimeError:
                self.stdout.write(f"rolled back the save of {slug}")
            return
        self.save(slug, title, body)

    def save(self, slug, title, body):
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            raise CommandError(f"no article {slug!r}")
        if title:
            article.title = title
        if body:
            article.body = body
        article.save()
        self.stdout.write(f"saved {slug}: {article.title}")
