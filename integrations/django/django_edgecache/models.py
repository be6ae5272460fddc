"""The outbox: a purge is written in the same transaction as the change that asks for it, so it
exists exactly when the change does, and waits here until the edge has accepted it."""
from django.db import models


class PendingPurge(models.Model):
    """What to purge (tags already prefixed; key prefixes; or everything), in one mode; deleted
    once the edge accepts it."""

    created_at = models.DateTimeField(auto_now_add=True)
    tags = models.JSONField(default=list, blank=True)
    prefixes = models.JSONField(default=list, blank=True)
    everything = models.BooleanField(default=False)
    soft = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    failed = models.BooleanField(default=False)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        what = "everything" if self.everything else ", ".join([*self.tags, *self.prefixes])
        return f"purge {what} ({'soft' if self.soft else 'hard'}, {self.attempts} attempts)"
