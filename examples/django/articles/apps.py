from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import django_edgecache

        from .models import Article

        # A save or delete purges the article's pages and every listing, old slug and author
        # included, after the transaction commits (through django-edgecache's outbox).
        django_edgecache.register(Article, tags=Article.cache_tags)
