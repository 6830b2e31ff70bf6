"""Free trials, read-only: who took which column's trial, how, and until when.

A row is what stops a second trial, so it cannot be added, changed or deleted here; the trial
membership it opened is edited (or ended) under Memberships like any other."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.admin.read_only import ReadOnlyAdmin
from members.models import Trial


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdmin):
    list_display = ["reader", "column", "plan", "how", "started_at", "ends_at", "reference"]
    list_filter = ["how", "column"]
    list_select_related = ["user", "column", "plan__column"]
    search_fields = ["user__email", "user__username", "column__title", "reference"]
    date_hierarchy = "started_at"
    readonly_fields = ["user", "column", "plan", "how", "reference", "started_at", "ends_at"]

    @admin.display(description=_("reader"), ordering="user__email")
    def reader(self, trial):
        return trial.user.email or trial.user.get_username()
