"""New-article emails to a column's members: one announcement per article, one row per email."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NewArticleAnnouncement(models.Model):
    """An article was announced to its column's members, once: the recipients were fixed then."""

    article = models.OneToOneField("articles.Article", verbose_name=_("article"), on_delete=models.CASCADE, related_name="announcement")
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("announced"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("new article announcement")
        verbose_name_plural = _("new article announcements")

    def __str__(self):
        return str(self.article)


class NewArticleEmail(models.Model):
    """One email about one new article to one reader. The row exists before the email is sent,
    and the database refuses a second one, so nobody hears about an article twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will be retried")
        ABANDONED = "abandoned", _("given up")
        SKIPPED = "skipped", _("not sent: no longer a member or switched off")

    article = models.ForeignKey("articles.Article", verbose_name=_("article"), on_delete=models.CASCADE, related_name="new_article_emails")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="new_article_emails")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("new article email")
        verbose_name_plural = _("new article emails")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="one_new_article_email_per_reader")]
        indexes = [models.Index(fields=["status", "updated_at"], name="new_article_email_queue_idx")]

    def __str__(self):
        return f"{self.article} → {self.user}"
