"""Renewal reminders, read-only: which went out, which wait for a retry and why, which were given up."""

from django.contrib import admin

from members.admin.read_only import ReadOnlyAdmin
from members.models import RenewalReminder


@admin.register(RenewalReminder)
class RenewalReminderAdmin(ReadOnlyAdmin):
    """Rows are written by the `send_renewal_reminders` command and its tasks only."""

    list_display = ["membership", "kind", "ends_at", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind", "membership__column"]
    list_select_related = ["membership__user", "membership__column"]
    search_fields = ["membership__user__email", "membership__column__title"]
    date_hierarchy = "ends_at"
    readonly_fields = [field.name for field in RenewalReminder._meta.fields]
