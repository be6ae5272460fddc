from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    body = models.TextField()
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="articles")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    def page_tags(self) -> list[str]:
        """The tags of pages that show this article (sent in Cache-Tag)."""
        return [f"article:{self.slug}", f"author:{self.author_id}"]

    def cache_tags(self) -> list[str]:
        """What to purge when the article changes: its pages, and every listing (`articles`)."""
        return ["articles", *self.page_tags()]
