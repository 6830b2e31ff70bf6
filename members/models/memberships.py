"""A reader's right to read a column, and the record of every grant that opened or extended it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models.orders import Order


class MembershipQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, starts_at__lte=at).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))


class Membership(models.Model):
    """A reader's right to read one column: for life (expires_at empty) or until a date."""

    class Source(models.TextChoices):
        PURCHASE = "purchase", _("purchase")
        CODE = "code", _("redeem code")
        COMPLIMENTARY = "complimentary", _("complimentary")
        TRIAL = "trial", _("free trial")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="memberships")
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="memberships")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, help_text=_("Empty for a lifetime membership."))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    email_new_articles = models.BooleanField(_("email new articles"), default=True, help_text=_("Send the reader each new article of this column by email."))
    email_renewal_reminders = models.BooleanField(
        _("renewal reminders"), default=True, help_text=_("Email the reader before and when a membership that does not renew by itself ends.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "column"], name="one_membership_per_reader_and_column")]
        indexes = [models.Index(fields=["column", "revoked_at", "expires_at"], name="membership_column_idx")]
        permissions = [("read_all_articles", _("Can read every members-only article"))]

    def __str__(self):
        return f"{self.user} · {self.column}"

    @property
    def is_lifetime(self) -> bool:
        return self.expires_at is None

    @property
    def is_trial(self) -> bool:
        """Opened by a free trial and not bought since (a purchase or a code replaces the source)."""
        return self.source == self.Source.TRIAL

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.starts_at <= at and (self.expires_at is None or self.expires_at > at)


class MembershipGrant(models.Model):
    """One entry per time a membership was opened or extended, and why. An order or a code can
    appear here once at most: the database itself refuses a second activation."""

    membership = models.ForeignKey(Membership, verbose_name=_("membership"), on_delete=models.CASCADE, related_name="grants")
    source = models.CharField(_("source"), max_length=20, choices=Membership.Source.choices)
    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.PROTECT, null=True, blank=True, related_name="grant")
    code = models.OneToOneField("RedeemCode", verbose_name=_("redeem code"), on_delete=models.PROTECT, null=True, blank=True, related_name="grant")
    days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    lifetime = models.BooleanField(_("lifetime"), default=False)
    expires_after = models.DateTimeField(_("expires after this grant"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("membership grant")
        verbose_name_plural = _("membership grants")

    def __str__(self):
        return f"{self.membership} · {self.get_source_display()}"
