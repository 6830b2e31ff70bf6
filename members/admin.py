from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Column
from members.codes import MAX_BATCH, code_normalize, codes_create, codes_in_batch, codes_write_csv, expiry_from_date
from members.coupons import coupon_normalize
from members.models import (
    Commission,
    Coupon,
    Membership,
    MembershipGrant,
    Order,
    PaymentEvent,
    Plan,
    RedeemCode,
    ReferralProgram,
    Subscription,
)
from members.money import yuan
from members.referrals import commissions_mark_paid_out, owed_total_fen
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
class SubscriptionAdmin(admin.ModelAdmin):
    """Read-only: the state is Stripe's, kept in step by its webhook; readers cancel from My columns."""

    inlines = [SubscriptionOrderInline]
    list_display = ["user", "column", "status", "cancel_at_period_end", "current_period_end", "provider_subscription_id", "created_at"]
    list_filter = ["status", "cancel_at_period_end", "provider", "column"]
    list_select_related = ["user", "column"]
    search_fields = ["provider_subscription_id", "user__email", "user__username", "column__title"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Subscription._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "order", "outcome"]
    list_filter = ["provider", "event_type"]
    search_fields = ["event_id", "order__number"]
    readonly_fields = [field.name for field in PaymentEvent._meta.fields]

    def has_add_permission(self, request):
        return False


class RedeemedFilter(admin.SimpleListFilter):
    title = _("redeemed")
    parameter_name = "redeemed"

    def lookups(self, request, model_admin):
        return [("yes", _("redeemed")), ("no", _("not redeemed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(redeemed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(redeemed_at__isnull=True)
        return queryset


class RedeemCodeGenerateForm(forms.Form):
    column = forms.ModelChoiceField(label=_("column"), queryset=Column.objects.order_by("title"))
    count = forms.IntegerField(label=_("how many codes"), min_value=1, max_value=MAX_BATCH, initial=10)
    days = forms.IntegerField(label=_("days"), min_value=1, required=False, help_text=_("Each code opens the column for this many days…"))
    lifetime = forms.BooleanField(label=_("lifetime"), required=False, help_text=_("…or for life. Choose one."))
    expires_on = forms.DateField(
        label=_("redeem by"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("Last day a code works; empty for never.")
    )
    label = forms.CharField(label=_("batch"), max_length=100, required=False, help_text=_("Where this batch goes, e.g. “WeChat group, May”."))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lifetime") == (cleaned.get("days") is not None):
            raise forms.ValidationError(_("Give either a number of days or lifetime, not both."))
        return cleaned


def redeem_codes_csv_response(codes, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The byte order mark tells Excel the file is UTF-8, so Chinese titles are not garbled.
    response.write("\ufeff")
    codes_write_csv(codes, response)
    return response


@admin.register(RedeemCode)
class RedeemCodeAdmin(admin.ModelAdmin):
    list_display = ["grouped", "column", "length_display", "expires_at", "redeemed_by", "redeemed_at", "batch"]
    list_filter = ["column", RedeemedFilter, "batch"]
    list_select_related = ["column", "redeemed_by"]
    search_fields = ["code", "redeemed_by__email", "batch"]
    actions = ["export_csv"]

    def get_urls(self):
        return [
            path("generate/", self.admin_site.admin_view(self.generate_view), name="members_redeemcode_generate"),
            path("batch/<int:pk>/csv/", self.admin_site.admin_view(self.batch_csv_view), name="members_redeemcode_batch_csv"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:members_redeemcode_generate")

    def has_change_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        normalized = code_normalize(search_term)
        if normalized and normalized != search_term:
            # Editors paste codes as readers see them, grouped with dashes.
            queryset |= self.model.objects.filter(code=normalized)
        return queryset, may_have_duplicates

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        codes = queryset.select_related("column", "redeemed_by").order_by("pk")
        return redeem_codes_csv_response(codes, f"redeem-codes-{timezone.localtime():%Y%m%d-%H%M}.csv")

    def generate_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RedeemCodeGenerateForm(request.POST or None)
        batch = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            codes = codes_create(
                column=data["column"],
                count=data["count"],
                days=None if data["lifetime"] else data["days"],
                lifetime=data["lifetime"],
                expires_at=expiry_from_date(data["expires_on"]) if data["expires_on"] else None,
                label=data["label"],
                created_by=request.user,
            )
            messages.success(request, _("%(count)d codes created for “%(column)s”.") % {"count": len(codes), "column": data["column"].title})
            return redirect(f"{reverse('admin:members_redeemcode_generate')}?batch={codes[0].pk}")
        first_pk = request.GET.get("batch", "")
        if first_pk.isdigit():
            batch = list(codes_in_batch(int(first_pk)))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate redeem codes"),
            "form": form,
            "opts": self.opts,
            "batch": batch,
        }
        return TemplateResponse(request, "admin/members/redeemcode/generate.html", context)

    def batch_csv_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        codes = list(codes_in_batch(pk).select_related("redeemed_by"))
        if not codes:
            raise Http404
        return redeem_codes_csv_response(codes, f"redeem-codes-{codes[0].column.slug}-{timezone.localtime(codes[0].created_at):%Y%m%d-%H%M%S}.csv")


# Referrals. Imported here, not at the top, so this section is a pure append while the coupon
# work edits this file's imports; the lead may hoist these when both land.


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


# Coupons. Imported here, not at the top, so this section is a pure append while the referral
# work edits this file; the lead may hoist these when both land.


class CouponStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("usable", _("usable")), ("expired", _("expired")), ("used_up", _("used up"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        used_up = Q(max_uses__isnull=False, used_count__gte=F("max_uses"))
        expired = Q(expires_at__isnull=False, expires_at__lte=now)
        if self.value() == "usable":
            return queryset.filter(is_active=True).exclude(expired | used_up)
        if self.value() == "expired":
            return queryset.filter(expired)
        if self.value() == "used_up":
            return queryset.filter(used_up)
        return queryset


class CouponAdminForm(forms.ModelForm):
    class Meta:
        model = Coupon
        fields = ["code", "column", "percent_off", "amount_off_fen", "expires_at", "max_uses", "is_active"]

    def clean_code(self):
        # Stored as readers' input is looked up, so "save20" and "SAVE20" are one code.
        code = coupon_normalize(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(_("Enter a code."))
        return code


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    form = CouponAdminForm
    list_display = ["code", "column", "discount_display", "expires_at", "uses_display", "is_active"]
    list_filter = [CouponStateFilter, "is_active", "column"]
    list_select_related = ["column"]
    search_fields = ["code", "column__title"]
    autocomplete_fields = ["column"]
    readonly_fields = ["used_count", "created_at"]
    date_hierarchy = "created_at"

    @admin.display(description=_("discount"))
    def discount_display(self, coupon):
        if coupon.percent_off is not None:
            return f"{coupon.percent_off}%"
        return f"¥{yuan(coupon.amount_off_fen)}"

    @admin.display(description=_("used / max"), ordering="used_count")
    def uses_display(self, coupon):
        return f"{coupon.used_count} / {coupon.max_uses if coupon.max_uses is not None else '∞'}"

    def get_search_results(self, request, queryset, search_term):
        # Editors paste codes as readers typed them: lowercase or full-width.
        return super().get_search_results(request, queryset, coupon_normalize(search_term) or search_term)
