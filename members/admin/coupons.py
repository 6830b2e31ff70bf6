"""Discount coupons."""

from django import forms
from django.contrib import admin
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.coupons import coupon_normalize
from members.models import Coupon
from members.money import yuan


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
