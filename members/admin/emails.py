"""New-article emails, read-only: which went out, which wait for a retry and why, which were given
up; and each article's announcement. Editors do not edit a row: "retry now" hands the failed ones
to the same retry task the worker runs (members.tasks), which claims, sends and records them."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.admin.read_only import ReadOnlyAdmin
from members.models import NewArticleAnnouncement, NewArticleEmail
from members.tasks import new_article_emails_retry_task


@admin.register(NewArticleEmail)
class NewArticleEmailAdmin(ReadOnlyAdmin):
    """Rows are written by the announce and send tasks only."""

    list_display = ["article", "user", "status", "attempts", "updated_at", "sent_at", "last_error"]
    list_filter = ["status", "article__column"]
    list_select_related = ["article", "user"]
    search_fields = ["user__email", "article__title"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in NewArticleEmail._meta.fields]
    actions = ["retry_now"]

    @admin.action(description=_("Retry the failed emails now"), permissions=["view"])
    def retry_now(self, request, queryset):
        """Without waiting out the retry delay; emails given up or already sent are left as they are."""
        failed = queryset.filter(status=NewArticleEmail.Status.FAILED)
        count = failed.count()
        for article_id in failed.values_list("article_id", flat=True).distinct().order_by("article_id"):
            new_article_emails_retry_task.enqueue(article_id=article_id, at_once=True)
        if count:
            message = ngettext("%(count)d failed email is queued to be sent again now.", "%(count)d failed emails are queued to be sent again now.", count)
            self.message_user(request, message % {"count": count}, messages.SUCCESS)
        else:
            self.message_user(request, _("None of the selected emails failed; nothing was queued."), messages.WARNING)


@admin.register(NewArticleAnnouncement)
class NewArticleAnnouncementAdmin(ReadOnlyAdmin):
    """One row per announced article, written once when its recipients were fixed."""

    list_display = ["article", "column", "recipients", "created_at"]
    list_filter = ["article__column"]
    list_select_related = ["article__column"]
    search_fields = ["article__title"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in NewArticleAnnouncement._meta.fields]

    @admin.display(description=_("column"), ordering="article__column__title")
    def column(self, announcement):
        return announcement.article.column
