"""The keys behind readers' private feeds."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FeedKey(models.Model):
    """The secret behind a reader's private feed of one column. Regenerating revokes the old key,
    so a feed address that leaked stops working; only one key per reader and column is live."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="feed_keys")
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="feed_keys")
    secret = models.CharField(_("secret"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last fetched"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("private feed key")
        verbose_name_plural = _("private feed keys")
        constraints = [models.UniqueConstraint(fields=["user", "column"], condition=Q(revoked_at__isnull=True), name="one_live_feed_key_per_reader_and_column")]

    def __str__(self):
        return f"{self.user} · {self.column}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
