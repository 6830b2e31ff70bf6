"""Gifts, read-only: who bought which plan for whom, the code it made, and who redeemed it when.

Refunds go through the order (Orders → Refund), which voids an unredeemed gift's code."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.admin.read_only import ReadOnlyAdmin
from members.models import Gift, RedeemCode


@admin.register(Gift)
class GiftAdmin(ReadOnlyAdmin):
    list_display = ["order", "buyer", "column", "plan", "order_status", "code", "code_status", "redeemed_by", "redeemed_at", "created_at"]
    list_filter = ["order__status", "order__plan_kind", "order__column"]
    list_select_related = ["order__user", "order__column", "code__redeemed_by"]
    search_fields = ["order__number", "order__user__email", "code__code", "code__redeemed_by__email"]
    date_hierarchy = "created_at"
    readonly_fields = ["order", "message", "code", "created_at"]

    @admin.display(description=_("buyer"), ordering="order__user__email")
    def buyer(self, gift):
        return gift.order.user.email

    @admin.display(description=_("column"), ordering="order__column__title")
    def column(self, gift):
        return gift.order.column

    @admin.display(description=_("plan"), ordering="order__plan_kind")
    def plan(self, gift):
        return gift.order.get_plan_kind_display()

    @admin.display(description=_("order status"), ordering="order__status")
    def order_status(self, gift):
        return gift.order.get_status_display()

    @admin.display(description=_("code status"))
    def code_status(self, gift):
        return RedeemCode.Status(gift.code.status()).label if gift.code_id else None

    @admin.display(description=_("redeemed by"))
    def redeemed_by(self, gift):
        return gift.code.redeemed_by.email if gift.code_id and gift.code.redeemed_by_id else None

    @admin.display(description=_("redeemed"), ordering="code__redeemed_at")
    def redeemed_at(self, gift):
        return gift.code.redeemed_at if gift.code_id else None
