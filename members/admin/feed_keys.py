"""Readers' private feed keys, read-only: whose, which column, when last fetched, and a revoke for a
leaked address. The secret is the feed address itself, so only its first characters are shown,
enough to tell one key from another."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.admin.read_only import ReadOnlyAdmin
from members.feed_keys import feed_key_revoke
from members.models import FeedKey

SHOWN_SECRET_CHARS = 6


@admin.register(FeedKey)
class FeedKeyAdmin(ReadOnlyAdmin):
    """Keys are issued and revoked by their readers on My columns; editors may revoke one for them."""

    list_display = ["user", "column", "secret_prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "column"]
    list_select_related = ["user", "column"]
    search_fields = ["user__email", "column__title"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ["user", "column", "secret_prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("secret (start)"))
    def secret_prefix(self, key):
        return f"{key.secret[:SHOWN_SECRET_CHARS]}…"

    @admin.action(description=_("Revoke: the feed address stops working"), permissions=["view"])
    def revoke(self, request, queryset):
        """Through feed_key_revoke, as the reader's own switch-off; the reader can issue a new key."""
        revoked = sum(feed_key_revoke(user=key.user, column=key.column) for key in queryset.filter(revoked_at__isnull=True).select_related("user", "column"))
        message = ngettext("%(count)d feed key revoked.", "%(count)d feed keys revoked.", revoked)
        self.message_user(request, message % {"count": revoked}, messages.SUCCESS)
