"""Comments in Django admin: every comment (hide, show, delete), the queue of reports (unresolved
first; resolve, or hide the comment and resolve), and bans from a column's comments. Imported by
articles/admin.py."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.markdown import excerpt, html_to_text
from articles.models import Comment, CommentBan, CommentEmail, CommentReport


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["short_text", "user", "article", "parent", "is_pinned", "created_at", "hidden_at", "deleted_at"]
    list_filter = ["is_pinned", ("hidden_at", admin.EmptyFieldListFilter), ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["body", "user__email", "article__title"]
    list_select_related = ["user", "article"]
    raw_id_fields = ["article", "user", "parent"]
    readonly_fields = ["body_html", "created_at", "edited_at"]
    date_hierarchy = "created_at"
    actions = ["hide", "unhide", "soft_delete"]

    @admin.display(description=_("comment"))
    def short_text(self, comment):
        return excerpt(html_to_text(comment.body_html), 60) or "—"

    @admin.action(description=_("Hide the selected comments from readers"))
    def hide(self, request, queryset):
        count = queryset.filter(hidden_at__isnull=True).update(hidden_at=timezone.now())
        self.message_user(request, _("%(count)d comments hidden.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Show the selected comments again"))
    def unhide(self, request, queryset):
        count = queryset.filter(hidden_at__isnull=False).update(hidden_at=None)
        self.message_user(request, _("%(count)d comments shown again.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Delete the selected comments' text (replies stay)"))
    def soft_delete(self, request, queryset):
        count = queryset.filter(deleted_at__isnull=True).update(deleted_at=timezone.now(), body="", body_html="", is_pinned=False)
        self.message_user(request, _("%(count)d comments deleted.") % {"count": count}, messages.SUCCESS)


@admin.register(CommentReport)
class CommentReportAdmin(admin.ModelAdmin):
    list_display = ["comment_text", "reason", "reporter", "created_at", "resolved_at", "comment_hidden"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["comment", "reporter"]
    raw_id_fields = ["comment", "reporter"]
    search_fields = ["reason", "comment__body", "reporter__email"]
    actions = ["resolve", "hide_and_resolve"]

    @admin.display(description=_("comment"))
    def comment_text(self, report):
        return excerpt(html_to_text(report.comment.body_html), 60) or "—"

    @admin.display(description=_("hidden"), boolean=True)
    def comment_hidden(self, report):
        return not report.comment.is_shown

    @admin.action(description=_("Resolve: leave the comments as they are"))
    def resolve(self, request, queryset):
        count = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        self.message_user(request, _("%(count)d reports resolved.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Hide the reported comments and resolve"))
    def hide_and_resolve(self, request, queryset):
        now = timezone.now()
        Comment.objects.filter(pk__in=queryset.values("comment_id"), hidden_at__isnull=True).update(hidden_at=now)
        count = queryset.filter(resolved_at__isnull=True).update(resolved_at=now)
        self.message_user(request, _("%(count)d reports resolved, their comments hidden.") % {"count": count}, messages.SUCCESS)


@admin.register(CommentBan)
class CommentBanAdmin(admin.ModelAdmin):
    list_display = ["user", "column", "by", "reason", "created_at"]
    list_filter = ["column"]
    list_select_related = ["user", "column", "by"]
    raw_id_fields = ["user", "by"]
    search_fields = ["user__email", "reason"]

    def save_model(self, request, obj, form, change):
        if obj.by_id is None:
            obj.by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CommentEmail)
class CommentEmailAdmin(admin.ModelAdmin):
    list_display = ["kind", "user", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    readonly_fields = ["kind", "user", "comment", "since", "until", "status", "attempts", "last_error", "created_at", "updated_at", "sent_at"]

    def has_add_permission(self, request):
        return False
