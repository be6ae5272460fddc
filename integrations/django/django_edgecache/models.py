"""The outbox: a purge is written in the same transaction as the change that asks for it, so it
exists exactly when the change does, and waits here until the edge has accepted it."""
from django.db import models


class PendingPurge(models.Model):
    """Tags (already prefixed) to purge, in one mode; deleted once the edge accepts them."""

    created_at = models.DateTimeField(auto_now_add=True)
    tags = models.JSONField()
    soft = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    failed = models.BooleanField(default=False)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"purge {self.tags} ({'soft' if self.soft else 'hard'}, {self.attempts} attempts)"
