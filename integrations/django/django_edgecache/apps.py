from django.apps import AppConfig


class EdgecacheConfig(AppConfig):
    name = "django_edgecache"
    label = "django_edgecache"
    verbose_name = "edgecache"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
