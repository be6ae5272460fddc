from django.db import models


class Topic(models.Model):
    name = models.CharField(max_length=50)


class Post(models.Model):
    slug = models.SlugField(unique=True)
    author = models.CharField(max_length=50)
    topics = models.ManyToManyField(Topic, blank=True)

    def edge_tags(self) -> list[str]:
        return ["posts", f"post:{self.slug}", f"author:{self.author}"]
