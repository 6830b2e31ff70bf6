"""Orders, the subscriptions that renew them, and the payment providers' notifications."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from members.admin.read_only import ReadOnlyAdmin
from members.models import Order, PaymentEvent, Subscription
from members.services import PaymentMismatch, order_mark_paid, order_refund


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "user", "column", "plan_kind", "amount_yuan", "provider", "status", "created_at", "paid_at"]
    list_filter = ["status", "provider", "plan_kind", "is_automatic_renewal", "column"]
    list_select_related = ["user", "column"]
    search_fields = ["number", "user__email", "provider_reference", "provider_invoice_id", "column__title"]
    date_hierarchy = "created_at"
    actions = ["mark_paid", "refund"]
    readonly_fields = [field.name for field in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Mark as paid (transfer received) and open the column"))
    def mark_paid(self, request, queryset):
        activated = 0
        for order in queryset:
            try:
                _order, now = order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen, reference=f"manual:{request.user.pk}")
            except PaymentMismatch as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            activated += now
        self.message_user(request, _("%(count)d orders marked paid; memberships opened.") % {"count": activated}, messages.SUCCESS)

    @admin.action(description=_("Refund: mark refunded and end the access it bought"))
    def refund(self, request, queryset):
        for order in queryset:
            order_refund(order_id=order.pk)
        self.message_user(request, _("Refunded orders no longer open their columns."), messages.SUCCESS)


class SubscriptionOrderInline(admin.TabularInline):
    model = Order
    fk_name = "subscription"
    extra = 0
    can_delete = False
    fields = ["number", "created_at", "amount_yuan", "status", "is_automatic_renewal", "provider_invoice_id"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """Read-only: the state is Stripe's, kept in step by its webhook; readers cancel from My columns."""

    inlines = [SubscriptionOrderInline]
    list_display = ["user", "column", "status", "cancel_at_period_end", "current_period_end", "provider_subscription_id", "created_at"]
    list_filter = ["status", "cancel_at_period_end", "provider", "column"]
    list_select_related = ["user", "column"]
    search_fields = ["provider_subscription_id", "user__email", "user__username", "column__title"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Subscription._meta.fields]


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "order", "outcome"]
    list_filter = ["provider", "event_type"]
    search_fields = ["event_id", "order__number"]
    readonly_fields = [field.name for field in PaymentEvent._meta.fields]

    def has_add_permission(self, request):
        return False
