from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Membership, MembershipGrant, Order, PaymentEvent, Plan
from members.services import PaymentMismatch, order_mark_paid, order_refund

User = get_user_model()


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["column", "kind", "price_yuan", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["column__title"]
    autocomplete_fields = ["column"]


class ActiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("active")), ("ended", _("ended"))]

    def queryset(self, request, queryset):
        active = Membership.objects.active().values("pk")
        if self.value() == "active":
            return queryset.filter(pk__in=active)
        if self.value() == "ended":
            return queryset.exclude(pk__in=active)
        return queryset


class GrantInline(admin.TabularInline):
    model = MembershipGrant
    extra = 0
    can_delete = False
    fields = ["created_at", "source", "order", "days", "lifetime", "expires_after"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    inlines = [GrantInline]
    list_display = ["user", "column", "source", "starts_at", "expires_at", "is_active_now"]
    list_filter = [ActiveFilter, "source", "column"]
    list_select_related = ["user", "column"]
    search_fields = ["user__email", "user__username", "column__title"]
    autocomplete_fields = ["user", "column"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(boolean=True, description=_("active"))
    def is_active_now(self, membership):
        return membership.is_active(timezone.now())


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["column", "source", "starts_at", "expires_at", "revoked_at", "note"]
    autocomplete_fields = ["column"]


admin.site.unregister(User)


@admin.register(User)
class ReaderAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, MembershipInline]
    list_display = ["email", "username", "is_staff", "is_active", "date_joined", "last_login"]
    search_fields = ["email", "username", "first_name", "last_name"]
    ordering = ["-date_joined"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "user", "column", "plan_kind", "amount_yuan", "provider", "status", "created_at", "paid_at"]
    list_filter = ["status", "provider", "plan_kind", "column"]
    list_select_related = ["user", "column"]
    search_fields = ["number", "user__email", "provider_reference", "column__title"]
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


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "order", "outcome"]
    list_filter = ["provider", "event_type"]
    search_fields = ["event_id", "order__number"]
    readonly_fields = [field.name for field in PaymentEvent._meta.fields]

    def has_add_permission(self, request):
        return False
