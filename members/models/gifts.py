"""Memberships bought for someone else: a paid order that makes a single-use redeem code."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from members.models.codes import RedeemCode
from members.models.orders import Order

MESSAGE_MAX_CHARS = 200


class Gift(models.Model):
    """A gift order and, once it is paid, the code it made. The buyer gets no membership: whoever
    redeems the code does. Order.gift and code.gift are one-to-one, so one order makes one code."""

    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="gift")
    message = models.CharField(_("message"), max_length=MESSAGE_MAX_CHARS, blank=True, help_text=_("Plain text from the buyer to the recipient."))
    code = models.OneToOneField(
        RedeemCode,
        verbose_name=_("redeem code"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gift",
        help_text=_("Made when the order is paid."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")

    def __str__(self):
        return str(self.order)

    def get_absolute_url(self):
        """The buyer's page of this gift, with the link to forward."""
        return reverse("members:gift", kwargs={"number": self.order.number})

    def get_redeem_url(self) -> str:
        """The recipient's page; empty until the order is paid."""
        return reverse("members:gift-redeem", kwargs={"code": self.code.code}) if self.code_id else ""
