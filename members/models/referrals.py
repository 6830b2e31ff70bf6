"""Referrals (分销): a column's commission rate, readers' codes, the visits they bring and what they earn."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models.orders import Order


class ReferralProgram(models.Model):
    """A column's commission for members who bring buyers (分销)."""

    column = models.OneToOneField("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="referral_program")
    rate_percent = models.PositiveSmallIntegerField(_("commission (%)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["column"]
        verbose_name = _("referral program")
        verbose_name_plural = _("referral programs")
        constraints = [models.CheckConstraint(condition=Q(rate_percent__gte=1, rate_percent__lte=90), name="referral_rate_range")]

    def __str__(self):
        return f"{self.column} · {self.rate_percent}%"


class ReferralCode(models.Model):
    """A reader's own code for ?refer= links."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("referrer"), on_delete=models.CASCADE, related_name="referral_code")
    code = models.CharField(_("code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self):
        return self.code


class ReferralVisit(models.Model):
    """Someone arrived through a referral link; purchases within 30 days count for the referrer."""

    referral_code = models.ForeignKey(ReferralCode, verbose_name=_("referral code"), on_delete=models.CASCADE, related_name="visits")
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    visited_at = models.DateTimeField(_("visited"), auto_now_add=True)

    class Meta:
        ordering = ["-visited_at"]
        verbose_name = _("referral visit")
        verbose_name_plural = _("referral visits")
        indexes = [models.Index(fields=["referral_code", "-visited_at"], name="referral_visit_idx")]

    def __str__(self):
        return f"{self.referral_code} · {self.visited_at:%Y-%m-%d}"


class Commission(models.Model):
    """What a referrer earned on one paid order: recorded once, paid out by editors."""

    class Status(models.TextChoices):
        OWED = "owed", _("owed")
        PAID_OUT = "paid_out", _("paid out")
        CANCELLED = "cancelled", _("cancelled")

    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="commission")
    referrer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("referrer"), on_delete=models.PROTECT, related_name="commissions")
    rate_percent = models.PositiveSmallIntegerField(_("commission (%)"))
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OWED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_out_at = models.DateTimeField(_("paid out"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")

    def __str__(self):
        return f"{self.referrer} · {self.order}"
