"""Readers' comments under articles, and what comes with them: likes, reports, bans from a
column's comments, each reader's choice of comment emails, and those emails' queue.

A comment's Markdown is rendered once, on save, to a small sanitized subset (articles/comments/
rendering.py). Nothing here says who may read a comment: a members-only article's comments follow
the same rule as its text (members.access, asked by articles/comments/)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from articles.comments.rendering import render_comment
from articles.models.content import Article, Column

MODERATE_COMMENTS = "articles.moderate_comments"
BODY_MAX_CHARS = 2000


class CommentQuerySet(models.QuerySet):
    def shown(self):
        """Comments everyone who may read the article sees: neither hidden nor deleted."""
        return self.filter(hidden_at__isnull=True, deleted_at__isnull=True)


class Comment(models.Model):
    """A comment on an article, or a reply to one: `parent` is always a comment without a parent
    (one level of replies; articles/comments/services.py keeps it so)."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", verbose_name=_("reply to"), on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    body = models.TextField(_("comment (Markdown)"), max_length=BODY_MAX_CHARS)
    body_html = models.TextField(_("comment (HTML)"), blank=True, editable=False)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    created_at = models.DateTimeField(_("posted"), auto_now_add=True, db_index=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        permissions = [("moderate_comments", _("Can moderate the comments of every column"))]
        indexes = [models.Index(fields=["article", "parent", "created_at"], name="comment_thread_idx")]

    def __str__(self):
        return f"{self.user} · {self.article}"

    def save(self, *args, **kwargs):
        self.body_html = render_comment(self.body) if self.deleted_at is None else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:comments", kwargs={"pk": self.article_id}) + f"#comment-{self.pk}"

    @property
    def is_shown(self) -> bool:
        return self.hidden_at is None and self.deleted_at is None


class CommentLike(models.Model):
    comment = models.ForeignKey(Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="comment_likes")
    created_at = models.DateTimeField(_("liked"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("comment like")
        verbose_name_plural = _("comment likes")
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="one_like_per_comment_and_reader")]

    def __str__(self):
        return f"{self.user} ♥ {self.comment_id}"


class CommentReport(models.Model):
    """A reader's report of a comment; admin lists the unresolved ones first."""

    comment = models.ForeignKey(Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.CASCADE, related_name="comment_reports")
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = [models.F("resolved_at").asc(nulls_first=True), "-created_at"]
        verbose_name = _("comment report")
        verbose_name_plural = _("comment reports")
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_per_comment_and_reader")]

    def __str__(self):
        return f"{self.reporter} → {self.comment_id}"


class CommentBan(models.Model):
    """A reader who may no longer comment in one column (they still read it)."""

    column = models.ForeignKey(Column, verbose_name=_("column"), on_delete=models.CASCADE, related_name="comment_bans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="comment_bans")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("banned by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="comment_bans_given"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("banned"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("comment ban")
        verbose_name_plural = _("comment bans")
        constraints = [models.UniqueConstraint(fields=["column", "user"], name="one_comment_ban_per_column_and_reader")]

    def __str__(self):
        return f"{self.user} · {self.column}"


class CommentEmailSettings(models.Model):
    """A reader's choice of comment emails; no row means both are on."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="comment_email_settings")
    email_replies = models.BooleanField(_("email me replies to my comments"), default=True)
    email_digest = models.BooleanField(_("email me a digest of new comments on my columns"), default=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        ordering = ["user"]
        verbose_name = _("comment email settings")
        verbose_name_plural = _("comment email settings")

    def __str__(self):
        return str(self.user)


class CommentEmail(models.Model):
    """One email to send: a reply to one reader's comment, or an author's digest of the comments
    posted on their columns from `since` to `until`. The row exists before the email is sent, and
    the constraints keep one per reply and one per digest period, however often they are queued."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("reply")
        DIGEST = "digest", _("digest")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will be retried")
        ABANDONED = "abandoned", _("given up")
        SKIPPED = "skipped", _("not sent: switched off or nothing left to say")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="comment_emails")
    comment = models.ForeignKey(Comment, verbose_name=_("reply"), on_delete=models.CASCADE, null=True, blank=True, related_name="emails")
    since = models.DateTimeField(_("comments since"), null=True, blank=True)
    until = models.DateTimeField(_("comments until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("comment email")
        verbose_name_plural = _("comment emails")
        constraints = [
            models.UniqueConstraint(fields=["user", "comment"], condition=Q(kind="reply"), name="one_reply_email_per_comment"),
            models.UniqueConstraint(fields=["user", "since"], condition=Q(kind="digest"), name="one_comment_digest_per_period"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="comment_email_queue_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.user}"
