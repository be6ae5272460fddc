"""Purges the edge when articles change: after the transaction commits, so a refill that races
the purge can only read the committed data."""
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Article
from .purge import purge


@receiver(pre_save, sender=Article)
def remember_old_tags(sender, instance: Article, **kwargs) -> None:
    # A changed slug or author must purge the old tags too.
    old = Article.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._old_tags = old.cache_tags() if old else []


@receiver(post_save, sender=Article)
def purge_saved(sender, instance: Article, **kwargs) -> None:
    tags = sorted(set(instance.cache_tags()) | set(getattr(instance, "_old_tags", [])))
    transaction.on_commit(lambda: purge(tags))


@receiver(post_delete, sender=Article)
def purge_deleted(sender, instance: Article, **kwargs) -> None:
    tags = instance.cache_tags()
    transaction.on_commit(lambda: purge(tags))
