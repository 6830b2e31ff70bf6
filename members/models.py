from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.money import yuan


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
        return yuan(self.price_fen)


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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="memberships")
    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="memberships")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, help_text=_("Empty for a lifetime membership."))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    email_new_articles = models.BooleanField(_("email new articles"), default=True, help_text=_("Send the reader each new article of this column by email."))
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
        if self.expires_at is not None and self.expires_at <= (at or timezone.now()):
            return self.Status.EXPIRED
        return self.Status.UNUSED


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
