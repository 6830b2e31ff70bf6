"""Writes to memberships, plans and orders. Each is one transaction."""

import logging
import secrets
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from members.access import forget_reader_columns
from members.coupons import discount_for
from members.gifts import gift_access_end, gift_access_restore, gift_code_issue
from members.models import Commission, Coupon, Gift, Membership, MembershipGrant, Order, Plan, RedeemCode, ReferralProgram, Subscription

logger = logging.getLogger(__name__)

ANNUAL_DAYS = 365
# Renewal orders take their checkout token from the provider's invoice, so one invoice is one order.
RENEWAL_TOKEN_NAMESPACE = uuid.UUID("6f1d7c52-3b8e-4f0a-9d55-2c1e8a7b9f30")


class PaymentMismatch(Exception):
    """A provider confirmed a payment that does not match the order; nothing is granted."""


@transaction.atomic
def membership_grant(
    *,
    user,
    column,
    source: str,
    days: int | None = None,
    lifetime: bool = False,
    until: datetime | None = None,
    note: str = "",
    order: Order | None = None,
    code: RedeemCode | None = None,
) -> Membership:
    """Give a reader access to a column, for life, for `days` more days or `until` a moment (a
    provider's trial end), and record why.

    An existing membership is extended from the later of now and its current end, so renewing
    early loses nothing; a lifetime membership stays lifetime. A revoked one starts afresh.
    A grant during a free trial replaces the trial instead: the bought (or given) period starts
    now, as it is paid now, and the trial's remaining days are not added on top of a year. An
    `until` grant never shortens access already held, nor relabels it.
    """
    if [days is not None, lifetime, until is not None].count(True) != 1:
        raise ValueError("Give one of days, lifetime=True or until.")
    if days is not None and days <= 0:
        raise ValueError("days must be positive.")
    now = timezone.now()
    if until is not None and until <= now:
        raise ValueError("until must be in the future.")
    end = None if lifetime else until or now + timedelta(days=days)
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user,
        column=column,
        defaults={"source": source, "starts_at": now, "expires_at": end, "note": note},
    )
    relabel = True
    if not created:
        if membership.revoked_at is not None or not membership.is_active(now):
            membership.starts_at = now
            membership.revoked_at = None
            membership.expires_at = end
        elif lifetime:
            membership.expires_at = None
        elif until is not None:
            relabel = membership.expires_at is not None and membership.expires_at < until
            if relabel:
                membership.expires_at = until
        elif membership.expires_at is not None:
            replaces_trial = membership.is_trial and source != Membership.Source.TRIAL
            membership.expires_at = end if replaces_trial else membership.expires_at + timedelta(days=days)
        if relabel:
            membership.source = source
        membership.note = note or membership.note
        membership.save()
    MembershipGrant.objects.create(
        membership=membership, source=source, order=order, code=code, days=days, lifetime=lifetime, expires_after=membership.expires_at
    )
    forget_reader_columns(user)
    return membership


def plan_set_price(*, column, kind: str, price_fen: int) -> Plan:
    """Put a plan on sale at this price, creating it if the column has none of this kind."""
    if price_fen <= 0:
        raise ValueError("A price is a positive number of fen; a free column has no plans.")
    plan, _ = Plan.objects.update_or_create(column=column, kind=kind, defaults={"price_fen": price_fen, "is_active": True})
    return plan


def new_order_number() -> str:
    return timezone.localtime().strftime("%Y%m%d") + secrets.token_hex(5).upper()


def order_create(
    *,
    user,
    plan: Plan,
    provider: str,
    checkout_token,
    return_url: str = "",
    coupon: Coupon | None = None,
    referrer=None,
    renews_automatically: bool = False,
    gift_message: str | None = None,
) -> Order:
    """The order of one checkout form: submitting the same form again returns the same order.

    The coupon, if any, must already be checked as usable for this plan; a referrer who is the
    buyer is ignored (nobody earns a commission on their own purchase). Automatic renewal is for
    annual plans at full price only: a coupon's price holds for one payment, not every year.
    A `gift_message` (empty for none) makes it a gift, paid once: see members/gifts.py."""
    existing = Order.objects.filter(user=user, checkout_token=checkout_token).first()
    if existing is not None:
        return existing
    discount_fen = discount_for(coupon, plan.price_fen)
    try:
        with transaction.atomic():
            order = Order.objects.create(
                number=new_order_number(),
                user=user,
                column_id=plan.column_id,
                plan=plan,
                plan_kind=plan.kind,
                list_price_fen=plan.price_fen,
                discount_fen=discount_fen,
                amount_fen=plan.price_fen - discount_fen,
                coupon=coupon,
                referrer=referrer if referrer is not None and referrer.pk != user.pk else None,
                provider=provider,
                checkout_token=checkout_token,
                return_url=return_url,
                renews_automatically=renews_automatically and gift_message is None and plan.kind == Plan.Kind.ANNUAL and discount_fen == 0,
            )
            if gift_message is not None:
                Gift.objects.create(order=order, message=gift_message)
            return order
    except IntegrityError:
        # Two submissions of the same form raced; the other one created it.
        return Order.objects.get(user=user, checkout_token=checkout_token)


def order_renewal_create(*, subscription: Subscription, invoice_id: str, amount_fen: int) -> Order:
    """The order for one automatic renewal invoice, made once however often the invoice is reported.

    Its price is what the provider charged, which is the price the reader subscribed at, even if
    the plan's price has changed since."""
    if amount_fen <= 0:
        raise ValueError("A renewal order needs a positive amount.")
    checkout_token = uuid.uuid5(RENEWAL_TOKEN_NAMESPACE, f"{subscription.provider}:{invoice_id}")
    existing = Order.objects.filter(user_id=subscription.user_id, checkout_token=checkout_token).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Order.objects.create(
                number=new_order_number(),
                user_id=subscription.user_id,
                column_id=subscription.column_id,
                plan_id=subscription.plan_id,
                plan_kind=Plan.Kind.ANNUAL,
                list_price_fen=amount_fen,
                amount_fen=amount_fen,
                provider=subscription.provider,
                checkout_token=checkout_token,
                renews_automatically=True,
                is_automatic_renewal=True,
                subscription=subscription,
                provider_invoice_id=invoice_id[:200],
            )
    except IntegrityError:
        # The same invoice reported twice at the same moment; the other delivery created it.
        return Order.objects.get(user_id=subscription.user_id, checkout_token=checkout_token)


def order_set_references(*, order_id: int, reference: str = "", invoice_id: str = "") -> None:
    """Remember how the provider names this payment, so a later refund or dispute finds the order."""
    fields = {}
    if reference:
        fields["provider_reference"] = reference[:200]
    if invoice_id:
        fields["provider_invoice_id"] = invoice_id[:200]
    if fields:
        Order.objects.filter(pk=order_id).update(**fields, updated_at=timezone.now())


def order_mark_paid(*, order_id: int, amount_fen: int, reference: str = "") -> tuple[Order, bool]:
    """Record a confirmed payment and activate the membership, once: the buyer's, or for a gift the
    code that will open one for whoever redeems it.

    Returns (order, activated_now). A second confirmation of a paid order changes nothing. The
    order row is locked for the transaction, and MembershipGrant.order and Gift.code are unique, so
    even two confirmations that race cannot both grant.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("plan", "column", "user").get(pk=order_id)
        if order.status == Order.Status.PAID:
            return order, False
        if order.status not in (Order.Status.PENDING, Order.Status.FAILED, Order.Status.CANCELLED):
            raise PaymentMismatch(f"Order {order.number} is {order.status}; a payment for it is not applied.")
        if amount_fen != order.amount_fen:
            raise PaymentMismatch(f"Order {order.number} costs {order.amount_fen} fen but {amount_fen} were paid.")
        order.status = Order.Status.PAID
        order.paid_at = timezone.now()
        order.failure_reason = ""
        if reference:
            order.provider_reference = reference
        order.save()
        lifetime = order.plan_kind == Plan.Kind.LIFETIME
        days = None if lifetime else ANNUAL_DAYS
        gift = Gift.objects.filter(order=order).first()
        if gift is not None:
            gift.order = order
            gift_code_issue(gift=gift, days=days, lifetime=lifetime)
        else:
            membership_grant(user=order.user, column=order.column, source=Membership.Source.PURCHASE, days=days, lifetime=lifetime, order=order)
        if order.coupon_id:
            coupon_count_use(coupon_id=order.coupon_id)
        if order.referrer_id:
            commission_record(order=order)
        transaction.on_commit(lambda: send_receipt(order_id=order.pk))
    return order, True


def order_mark_failed(*, order_id: int, reason: str) -> Order:
    """A payment attempt failed: nothing is granted, and the reader may try again."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == Order.Status.PENDING:
            order.status = Order.Status.FAILED
            order.failure_reason = reason[:300]
            order.save(update_fields=["status", "failure_reason", "updated_at"])
    return order


def order_refund(*, order_id: int) -> Order:
    """A refunded purchase ends the access it bought at once (a gift's: see gift_access_end)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != Order.Status.PAID:
            return order
        order.status = Order.Status.REFUNDED
        order.refunded_at = timezone.now()
        order.save(update_fields=["status", "refunded_at", "updated_at"])
        Membership.objects.filter(grants__order=order, revoked_at__isnull=True).update(revoked_at=order.refunded_at)
        gift_access_end(order_id=order.pk, at=order.refunded_at)
        Commission.objects.filter(order=order, status=Commission.Status.OWED).update(status=Commission.Status.CANCELLED)
    return order


def order_dispute_opened(*, order_id: int) -> Order:
    """The payer disputed the charge with their bank: the access it bought is paused at once, as
    for a refund, until the dispute is settled. Only a paid order can be disputed."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != Order.Status.PAID:
            return order
        order.status = Order.Status.DISPUTED
        order.disputed_at = timezone.now()
        order.save(update_fields=["status", "disputed_at", "updated_at"])
        Membership.objects.filter(grants__order=order, revoked_at__isnull=True).update(revoked_at=order.disputed_at)
        gift_access_end(order_id=order.pk, at=order.disputed_at)
    return order


def order_dispute_closed(*, order_id: int, won: bool) -> Order:
    """A settled dispute. Won: the order is paid again and the access the dispute paused comes back
    (unless something else changed that membership since). Lost: the money went back to the payer,
    so the access stays ended and no commission is owed on it."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != Order.Status.DISPUTED:
            return order
        if won:
            order.status = Order.Status.PAID
            Membership.objects.filter(grants__order=order, revoked_at=order.disputed_at).update(revoked_at=None)
            gift_access_restore(order_id=order.pk, ended_at=order.disputed_at)
        else:
            order.status = Order.Status.CHARGED_BACK
            Commission.objects.filter(order=order, status=Commission.Status.OWED).update(status=Commission.Status.CANCELLED)
        order.save(update_fields=["status", "updated_at"])
    return order


def subscription_sync(
    *,
    provider: str,
    provider_subscription_id: str,
    order: Order | None = None,
    status: str = "",
    cancel_at_period_end: bool | None = None,
    current_period_end: datetime | None = None,
    as_of: datetime | None = None,
) -> Subscription | None:
    """Record what the provider says about a subscription, creating our row from the order that
    started it. Returns None for a subscription we cannot place (no row and no order).

    Notifications arrive out of order: a state older than the one we hold (`as_of`) is ignored,
    and an ended subscription stays ended."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(provider_subscription_id=provider_subscription_id).first()
        if subscription is None:
            if order is None:
                return None
            Subscription.objects.get_or_create(
                provider_subscription_id=provider_subscription_id,
                defaults={"user_id": order.user_id, "column_id": order.column_id, "plan_id": order.plan_id, "provider": provider},
            )
            subscription = Subscription.objects.select_for_update().get(provider_subscription_id=provider_subscription_id)
        stale = as_of is not None and subscription.synced_at is not None and as_of < subscription.synced_at
        if not stale and subscription.status != Subscription.Status.CANCELED:
            if status:
                subscription.status = status[:20]
            if cancel_at_period_end is not None:
                subscription.cancel_at_period_end = cancel_at_period_end
            if current_period_end is not None:
                subscription.current_period_end = current_period_end
            if as_of is not None:
                subscription.synced_at = as_of
            subscription.save()
        if order is not None:
            Order.objects.filter(pk=order.pk, subscription__isnull=True).update(subscription=subscription)
    return subscription


def coupon_count_use(*, coupon_id: int) -> None:
    """Count a paid use. Availability was checked when the order was made; an order made before the
    limit was reached and paid after it is still honoured, as the reader was promised that price."""
    updated = Coupon.objects.filter(pk=coupon_id).filter(Q(max_uses__isnull=True) | Q(used_count__lt=F("max_uses"))).update(used_count=F("used_count") + 1)
    if not updated:
        logger.warning("Coupon %s was used past its limit by an order made before the limit was reached", coupon_id)


def commission_record(*, order: Order) -> Commission | None:
    """The referrer's commission on a paid order, at the column's rate; once per order."""
    program = ReferralProgram.objects.filter(column_id=order.column_id, is_active=True).first()
    if program is None or order.referrer_id == order.user_id:
        return None
    commission, _ = Commission.objects.get_or_create(
        order=order,
        defaults={
            "referrer_id": order.referrer_id,
            "rate_percent": program.rate_percent,
            "amount_fen": order.amount_fen * program.rate_percent // 100,
        },
    )
    return commission


def send_receipt(*, order_id: int) -> None:
    from members.emails import send_order_receipt

    try:
        send_order_receipt(Order.objects.select_related("user", "column", "gift__code").get(pk=order_id))
    except Exception:
        # The payment is recorded and the membership active; a lost receipt must not undo that.
        logger.exception("Could not send the receipt for order %s", order_id)
