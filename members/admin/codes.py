"""Redeem codes: generated in batches, exported as CSV, found by the code as readers see it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Column
from members.codes import MAX_BATCH, code_normalize, codes_create, codes_in_batch, codes_write_csv, expiry_from_date
from members.models import RedeemCode


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
    list_display = ["grouped", "column", "length_display", "expires_at", "redeemed_by", "redeemed_at", "voided_at", "batch"]
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
