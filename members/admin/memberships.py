"""Plans, memberships and their grants, and readers with the memberships they hold."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Membership, MembershipGrant, Plan

User = get_user_model()


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["column", "kind", "price_yuan", "trial_days", "is_active"]
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
