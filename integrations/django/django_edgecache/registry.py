"""`register(Model, tags=…)`: purges on change. The tags of an instance are computed before a
save (what the edge may hold under its old slug or author) and after it, and both are queued —
in the transaction of the change, delivered after its commit, nothing on rollback. Deletes queue
the deleted instance's tags; many-to-many changes queue the tags of the instance changed."""
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from .delivery import queue

_registered: dict = {}


def _tags_of(model, instance) -> list:
    tags = _registered[model]["tags"](instance)
    return [tags] if isinstance(tags, str) else list(tags or [])


def register(model, *, tags, soft: bool | None = None) -> None:
    """Purges `tags(instance)` (a list of strings, or one string) whenever an instance of
    `model` is saved, deleted, or has a many-to-many relation changed. `soft` overrides the
    SOFT setting for this model."""
    _registered[model] = {"tags": tags, "soft": soft}
    uid = f"django_edgecache:{model._meta.label}"
    pre_save.connect(_remember_old, sender=model, dispatch_uid=f"{uid}:pre")
    post_save.connect(_purge_saved, sender=model, dispatch_uid=f"{uid}:save")
    post_delete.connect(_purge_deleted, sender=model, dispatch_uid=f"{uid}:delete")
    for field in model._meta.many_to_many:
        m2m_changed.connect(_purge_related, sender=field.remote_field.through, dispatch_uid=f"{uid}:m2m:{field.name}")


def _remember_old(sender, instance, raw=False, using=None, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._edgecache_old_tags = []
        return
    old = sender._default_manager.using(using).filter(pk=instance.pk).first()
    instance._edgecache_old_tags = _tags_of(sender, old) if old is not None else []


def _purge_saved(sender, instance, raw=False, using=None, **kwargs) -> None:
    if raw:  # loading fixtures
        return
    tags = {*_tags_of(sender, instance), *getattr(instance, "_edgecache_old_tags", [])}
    queue(tags, soft=_registered[sender]["soft"], using=using)


def _purge_deleted(sender, instance, using=None, **kwargs) -> None:
    queue(_tags_of(sender, instance), soft=_registered[sender]["soft"], using=using)


def _purge_related(sender, instance, action, using=None, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    model = type(instance)
    if model in _registered:
        queue(_tags_of(model, instance), soft=_registered[model]["soft"], using=using)
