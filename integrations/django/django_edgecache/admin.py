"""The outbox in the admin: what waits, what failed and why; retry or drop from there."""
from django.contrib import admin, messages
from django.utils import timezone

from .delivery import deliver
from .models import PendingPurge


@admin.register(PendingPurge)
class PendingPurgeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "soft", "attempts", "failed", "next_attempt_at", "last_error", "created_at"]
    list_filter = ["failed", "soft", "everything"]
    readonly_fields = [f.name for f in PendingPurge._meta.fields]
    actions = ["send_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the selected purges now")
    def send_now(self, request, queryset):
        queryset.update(failed=False, next_attempt_at=timezone.now())
        report = deliver()
        level = messages.SUCCESS if not (report.retried or report.failed) else messages.WARNING
        self.message_user(request, f"sent {report.sent}, retrying {report.retried}, failed {report.failed}", level)
