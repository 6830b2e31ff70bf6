"""Codes readers type: single-use redeem codes that open a column, and discount coupons."""

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RedeemCodeQuerySet(models.QuerySet):
    def unused(self):
        return self.filter(redeemed_at__isnull=True)


class RedeemCode(models.Model):
    """A single-use code that opens a column, for a number of days or for life.

    Stored normalized (uppercase, no dashes); shown to people grouped as ABCD-EFGH-JKLM.
    """

    class Status(models.TextChoices):
        UNUSED = "unused", _("unused")
        REDEEMED = "redeemed", _("redeemed")
        EXPIRED = "expired", _("expired")
        VOIDED = "voided", _("voided")

    code = models.CharField(_("code"), max_length=32, unique=True, editable=False)
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.PROTECT, related_name="redeem_codes")
    days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    lifetime = models.BooleanField(_("lifetime"), default=False)
    batch = models.CharField(_("batch"), max_length=100, blank=True, help_text=_("Where this batch went, e.g. “WeChat group, May”."))
    expires_at = models.DateTimeField(_("redeem before"), null=True, blank=True, help_text=_("Empty: the code never expires."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("redeemed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="redeemed_codes",
    )
    redeemed_at = models.DateTimeField(_("redeemed"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True, help_text=_("A refunded or disputed gift's code can no longer be redeemed."))

    objects = RedeemCodeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("redeem code")
        verbose_name_plural = _("redeem codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(lifetime=True, days__isnull=True) | Q(lifetime=False, days__gt=0),
                name="redeem_code_days_or_lifetime",
            ),
            # redeemed_at alone marks a code used, so it stays used if the reader's account is deleted.
            models.CheckConstraint(condition=Q(redeemed_by__isnull=True) | Q(redeemed_at__isnull=False), name="redeemed_code_has_redeemed_at"),
        ]
        indexes = [models.Index(fields=["column", "created_at"], name="redeem_code_batch_idx")]

    def __str__(self):
        return self.grouped

    @property
    @admin.display(description=_("code"), ordering="code")
    def grouped(self) -> str:
        return "-".join(self.code[start : start + 4] for start in range(0, len(self.code), 4))

    @property
    @admin.display(description=_("length"))
    def length_display(self) -> str:
        if self.lifetime:
            return str(_("lifetime"))
        return str(_("%(days)d days") % {"days": self.days})

    def status(self, at=None) -> str:
        if self.redeemed_at is not None:
            return self.Status.REDEEMED
        if self.voided_at is not None:
            return self.Status.VOIDED
        if self.expires_at is not None and self.expires_at <= (at or timezone.now()):
            return self.Status.EXPIRED
        return self.Status.UNUSED


class Coupon(models.Model):
    """A discount code for one column: a percentage or a fixed amount, until a date, a number of times."""

    code = models.CharField(_("code"), max_length=32, unique=True, help_text=_("Readers type it at checkout; letters are not case-sensitive."))
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="coupons")
    percent_off = models.PositiveSmallIntegerField(_("percent off"), null=True, blank=True)
    amount_off_fen = models.PositiveIntegerField(_("amount off (fen)"), null=True, blank=True)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True, help_text=_("Empty for no limit."))
    used_count = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.CheckConstraint(
                condition=(Q(percent_off__isnull=False) & Q(amount_off_fen__isnull=True)) | (Q(percent_off__isnull=True) & Q(amount_off_fen__isnull=False)),
                name="coupon_percent_or_amount",
                violation_error_message=_("Give either a percentage or an amount off, not both."),
            ),
            models.CheckConstraint(condition=Q(percent_off__isnull=True) | Q(percent_off__gte=1, percent_off__lte=99), name="coupon_percent_range"),
            models.CheckConstraint(condition=Q(amount_off_fen__isnull=True) | Q(amount_off_fen__gt=0), name="coupon_amount_positive"),
            models.CheckConstraint(condition=Q(max_uses__isnull=True) | Q(used_count__lte=models.F("max_uses")), name="coupon_within_max_uses"),
        ]

    def __str__(self):
        return self.code
