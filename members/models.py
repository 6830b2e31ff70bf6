from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Plan(models.Model):
    """A price at which a reader can join a column. Money is whole fen."""

    class Kind(models.TextChoices):
        LIFETIME = "lifetime", pgettext_lazy("plan kind", "lifetime")
        ANNUAL = "annual", pgettext_lazy("plan kind", "annual")

    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="plans")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["column", "kind"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.UniqueConstraint(fields=["column", "kind"], name="unique_plan_kind_per_column"),
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="plan_price_positive"),
        ]

    def __str__(self):
        return f"{self.column} · {self.get_kind_display()} · ¥{self.price_yuan}"

    @property
    @admin.display(description=_("price (yuan)"), ordering="price_fen")
    def price_yuan(self) -> str:
        yuan, fen = divmod(self.price_fen, 100)
        return f"{yuan}" if fen == 0 else f"{yuan}.{fen:02d}"


class MembershipQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, starts_at__lte=at).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )


class Membership(models.Model):
    """A reader's right to read one column: for life (expires_at empty) or until a date."""

    class Source(models.TextChoices):
        PURCHASE = "purchase", _("purchase")
        CODE = "code", _("redeem code")
        COMPLIMENTARY = "complimentary", _("complimentary")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="memberships")
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="memberships")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, help_text=_("Empty for a lifetime membership."))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "column"], name="one_membership_per_reader_and_column")]
        indexes = [models.Index(fields=["column", "revoked_at", "expires_at"], name="membership_column_idx")]

    def __str__(self):
        return f"{self.user} · {self.column}"

    @property
    def is_lifetime(self) -> bool:
        return self.expires_at is None

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.starts_at <= at and (self.expires_at is None or self.expires_at > at)
