"""Referral programs and the commissions they earn referrers."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from members.models import Commission, ReferralProgram
from members.money import yuan
from members.referrals import commissions_mark_paid_out, owed_total_fen


@admin.register(ReferralProgram)
class ReferralProgramAdmin(admin.ModelAdmin):
    list_display = ["column", "rate_percent", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["column"]
    search_fields = ["column__title"]
    autocomplete_fields = ["column"]


@admin.register(Commission)
class CommissionAdmin(admin.ModelAdmin):
    list_display = ["referrer", "order", "amount_display", "rate_percent", "status", "created_at", "paid_out_at"]
    list_filter = ["status", ("referrer", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["referrer", "order"]
    search_fields = ["referrer__email", "order__number"]
    date_hierarchy = "created_at"
    actions = ["mark_paid_out"]
    readonly_fields = [field.name for field in Commission._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("amount (yuan)"), ordering="amount_fen")
    def amount_display(self, commission):
        return yuan(commission.amount_fen)

    @admin.action(description=_("Mark as paid out"))
    def mark_paid_out(self, request, queryset):
        changed = commissions_mark_paid_out(commission_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d commissions marked paid out.") % {"count": changed}, messages.SUCCESS)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # The total follows the filters, so an editor can see what one referrer is owed.
            response.context_data["owed_total_yuan"] = yuan(owed_total_fen(changelist.queryset))
        return response
