"""Purchases: orders, the subscriptions that renew them, and the payment providers' notifications."""

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.models.codes import Coupon
from members.models.plans import Plan
from members.money import yuan


class Order(models.Model):
    """A reader's purchase of a plan. Paid exactly once; only a paid order grants anything."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting payment")
        PAID = "paid", _("paid")
        FAILED = "failed", _("payment failed")
        CANCELLED = "cancelled", _("cancelled")
        REFUNDED = "refunded", _("refunded")
        # A card dispute pauses the access it bought; won, it is PAID again; lost, CHARGED_BACK.
        DISPUTED = "disputed", _("disputed: access paused")
        CHARGED_BACK = "chargeback", _("charged back")

    number = models.CharField(_("order number"), max_length=32, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.PROTECT, related_name="orders")
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.PROTECT, related_name="orders")
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="orders")
    plan_kind = models.CharField(_("plan kind"), max_length=10, choices=Plan.Kind.choices)
    list_price_fen = models.PositiveIntegerField(_("list price (fen)"), default=0)
    discount_fen = models.PositiveIntegerField(_("discount (fen)"), default=0)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    coupon = models.ForeignKey(Coupon, verbose_name=_("coupon"), on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referred by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="referred_orders"
    )
    provider = models.CharField(_("payment method"), max_length=20)
    provider_reference = models.CharField(_("payment reference"), max_length=200, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    checkout_token = models.UUIDField(_("checkout token"), editable=False)
    return_url = models.CharField(_("return to"), max_length=500, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    disputed_at = models.DateTimeField(_("disputed"), null=True, blank=True)
    renews_automatically = models.BooleanField(_("renews automatically"), default=False, help_text=_("The reader chose yearly automatic renewal at checkout."))
    is_automatic_renewal = models.BooleanField(_("automatic renewal payment"), default=False)
    subscription = models.ForeignKey("Subscription", verbose_name=_("subscription"), on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    provider_invoice_id = models.CharField(_("invoice"), max_length=200, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            # The same checkout form submitted twice (double click, back and resubmit) is one order.
            models.UniqueConstraint(fields=["user", "checkout_token"], name="one_order_per_checkout_form"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="order_amount_positive"),
            models.CheckConstraint(condition=Q(status="paid", paid_at__isnull=False) | ~Q(status="paid"), name="paid_order_has_paid_at"),
            # A renewal invoice delivered as several events (invoice.paid, invoice.payment_succeeded) is one order.
            models.UniqueConstraint(fields=["provider", "provider_invoice_id"], condition=Q(is_automatic_renewal=True), name="one_renewal_order_per_invoice"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="order_user_idx")]

    def __str__(self):
        return self.number

    @property
    @admin.display(description=_("amount (yuan)"), ordering="amount_fen")
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)

    @property
    def is_gift(self) -> bool:
        """Bought for someone else (members.models.Gift); free of queries once `gift` is selected."""
        return hasattr(self, "gift")

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("members:order", kwargs={"number": self.number})


class Subscription(models.Model):
    """A provider's standing order renewing an annual membership every year until it is cancelled.

    Each renewal is a paid Order of its own; this row says whether and when the next one comes.
    Cancelling stops the renewals only: the reader keeps what they paid for until its end date."""

    class Status(models.TextChoices):
        # Stripe's subscription statuses, kept as Stripe spells them.
        INCOMPLETE = "incomplete", _("awaiting the first payment")
        ACTIVE = "active", _("active")
        TRIALING = "trialing", _("trial")
        PAST_DUE = "past_due", _("renewal payment failed")
        UNPAID = "unpaid", _("unpaid")
        PAUSED = "paused", _("paused")
        CANCELED = "canceled", _("ended")
        INCOMPLETE_EXPIRED = "incomplete_expired", _("never paid")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.PROTECT, related_name="subscriptions")
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="subscriptions")
    provider = models.CharField(_("payment method"), max_length=20)
    provider_subscription_id = models.CharField(_("subscription id"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.INCOMPLETE)
    cancel_at_period_end = models.BooleanField(_("cancels at the period end"), default=False)
    current_period_end = models.DateTimeField(_("current period ends"), null=True, blank=True)
    synced_at = models.DateTimeField(
        _("provider state as of"), null=True, blank=True, help_text=_("Older notifications arriving late do not overwrite newer state.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [models.Index(fields=["user", "column"], name="subscription_user_column_idx")]

    def __str__(self):
        return f"{self.user} · {self.column} · {self.provider_subscription_id}"

    @property
    def is_live(self) -> bool:
        """The provider may still charge it (now or at a later retry)."""
        return self.status in (self.Status.ACTIVE, self.Status.TRIALING, self.Status.PAST_DUE, self.Status.UNPAID, self.Status.PAUSED)

    @property
    def renews(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.TRIALING) and not self.cancel_at_period_end


class PaymentEvent(models.Model):
    """A notification from a payment provider, kept once per provider and event id."""

    provider = models.CharField(_("provider"), max_length=20)
    event_id = models.CharField(_("event id"), max_length=200)
    event_type = models.CharField(_("event type"), max_length=100)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    payload = models.JSONField(_("payload"), default=dict)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="one_payment_event_per_id")]

    def __str__(self):
        return f"{self.provider} {self.event_type} {self.event_id}"
