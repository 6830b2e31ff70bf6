"""What each Stripe event does to our orders, subscriptions and disputes.

Each handler takes the event's object as a plain dict and answers with an EventResult; it runs
inside the transaction that records the event, so a redelivery finds the event recorded and does
nothing, and a failure rolls both back for Stripe's retry.

Events are read defensively: Stripe's payloads differ between API versions (an invoice names its
payment intent directly before 2025-03-31 and through `payments` or `invoice_payment.paid` after;
a charge names its invoice only in older versions), and a missing or unexpected field is logged
and answered 2xx with an outcome, never a crash that Stripe would retry for days.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from members.models import Order, PaymentEvent, Subscription
from members.payment_events import EventResult, RetryLater, order_refund_reported
from members.payments.stripe.api import CURRENCY, StripeError, StripeProvider, subscription_renewal_set
from members.payments.stripe.payloads import first_item, mapping, moment, period_end_of_subscription, ref_id, stops_renewing, text, whole_number
from members.payments.stripe.trial_events import pays_checkout_order, session_trial_started, subscription_trialing, trial_invoice_paid
from members.services import (
    PaymentMismatch,
    order_dispute_closed,
    order_dispute_opened,
    order_mark_failed,
    order_mark_paid,
    order_renewal_create,
    order_set_references,
    subscription_sync,
)

logger = logging.getLogger(__name__)

# An event that overtook the one it depends on is handed back to Stripe (which retries within
# minutes, then hours) for this long; after that it is recorded as not ours and acknowledged.
RETRY_WINDOW_SECONDS = 3600
DISPUTE_WON = {"won", "warning_closed", "prevented"}
DISPUTE_LOST = {"lost"}


def not_ready(as_of: datetime | None, what: str) -> EventResult:
    """An event that names something we do not know yet: Stripe sends it again while it is recent
    (the event it depends on is on its way); an old one is recorded for an editor and let go."""
    if as_of is not None and (timezone.now() - as_of).total_seconds() < RETRY_WINDOW_SECONDS:
        raise RetryLater(what)
    logger.error("Stripe event not applied: %s", what)
    return EventResult(order=None, outcome=f"ignored: {what}")


def stripe_orders():
    return Order.objects.filter(provider=StripeProvider.name)


def order_of_session(session: dict) -> Order | None:
    number = text(session, "client_reference_id") or text(mapping(session, "metadata"), "order_number")
    return stripe_orders().filter(number=number).first() if number else None


def pay(order: Order, *, amount, currency: str, reference: str, payment_intent: str) -> EventResult:
    """Apply a payment Stripe confirmed to our order, unless it was refunded first or does not match."""
    if payment_intent and refund_seen_before(payment_intent):
        order_refund_reported(order_id=order.pk)
        return EventResult(order=order, outcome="refused: the payment was refunded before it was confirmed")
    try:
        if currency.lower() != CURRENCY or whole_number(amount) is None:
            raise PaymentMismatch(f"Order {order.number} was paid {amount!r} {currency!r}, not in {CURRENCY}.")
        paid_order, activated = order_mark_paid(order_id=order.pk, amount_fen=amount, reference=reference)
    except PaymentMismatch as error:
        # Stripe retrying would not change the amount; an editor settles it from the event log.
        logger.error("Stripe payment not applied: %s", error)
        return EventResult(order=order, outcome=f"refused: {error}")
    if activated:
        return EventResult(order=paid_order, outcome="activated")
    known = paid_order.provider_reference
    if payment_intent and known.startswith("pi_") and known != payment_intent:
        # Two Checkout Sessions of one order both paid (the first one's 24-hour idempotency lapsed).
        logger.error("Order %s was paid twice, by %s and %s: refund one of them", order.number, known, payment_intent)
        return EventResult(order=paid_order, outcome=f"already paid by {known}: refund {payment_intent}"[:200])
    if payment_intent and not known.startswith("pi_"):
        order_set_references(order_id=order.pk, reference=payment_intent)
    return EventResult(order=paid_order, outcome="already paid")


def session_paid(session: dict, *, as_of=None) -> EventResult:
    order = order_of_session(session)
    if order is None:
        return EventResult(order=None, outcome="ignored: no order for this session")
    if session.get("payment_status") == "no_payment_required":
        return session_trial_started(session, order, as_of=as_of)
    if session.get("payment_status") != "paid":
        # A delayed method (bank debit): async_payment_succeeded or _failed follows.
        return EventResult(order=order, outcome=f"waiting: payment status {text(session, 'payment_status') or 'unknown'}")
    invoice_id = ref_id(session.get("invoice"))
    if invoice_id and not order.provider_invoice_id:
        order_set_references(order_id=order.pk, invoice_id=invoice_id)
    payment_intent = ref_id(session.get("payment_intent")) or payment_intent_reported_for(invoice_id)
    result = pay(
        order,
        amount=session.get("amount_total"),
        currency=text(session, "currency"),
        reference=payment_intent or invoice_id or text(session, "id"),
        payment_intent=payment_intent,
    )
    subscription_id = ref_id(session.get("subscription"))
    if text(session, "mode") == "subscription" and subscription_id:
        subscription_sync(
            provider=StripeProvider.name,
            provider_subscription_id=subscription_id,
            order=order,
            status=Subscription.Status.ACTIVE,
            as_of=as_of,
        )
        return EventResult(order=result.order, outcome=f"{result.outcome}; renews automatically"[:200])
    return result


def session_failed(session: dict, *, reason: str) -> EventResult:
    order = order_of_session(session)
    if order is None:
        return EventResult(order=None, outcome="ignored: no order for this session")
    order = order_mark_failed(order_id=order.pk, reason=reason)
    return EventResult(order=order, outcome=f"order {order.status}")


def refund_seen_before(payment_intent: str) -> bool:
    """A full refund for this payment arrived before we knew which order it paid for."""
    return PaymentEvent.objects.filter(
        provider=StripeProvider.name,
        event_type="charge.refunded",
        payload__data__object__payment_intent=payment_intent,
        payload__data__object__refunded=True,
    ).exists()


def invoice_payment_events():
    return PaymentEvent.objects.filter(provider=StripeProvider.name, event_type="invoice_payment.paid")


def payment_intent_reported_for(invoice_id: str) -> str:
    """The payment intent an earlier invoice_payment.paid event named for this invoice (API 2025-03-31 on)."""
    if not invoice_id:
        return ""
    event = invoice_payment_events().filter(payload__data__object__invoice=invoice_id).first()
    return ref_id(mapping(mapping(mapping(event.payload if event else {}, "data"), "object"), "payment").get("payment_intent"))


def invoice_reported_for(payment_intent: str) -> str:
    event = invoice_payment_events().filter(payload__data__object__payment__payment_intent=payment_intent).first()
    return ref_id(mapping(mapping(event.payload if event else {}, "data"), "object").get("invoice"))


def order_of_payment(*, number: str = "", invoice_id: str = "", payment_intent: str = "") -> Order | None:
    """The order a charge, refund or dispute is about, by whatever the payload names: our order
    number (one-off payments carry it), the invoice (subscriptions), or the payment intent."""
    orders = stripe_orders()
    if number and (order := orders.filter(number=number).first()):
        return order
    if invoice_id and (order := orders.filter(provider_invoice_id=invoice_id).first()):
        return order
    if payment_intent:
        if order := orders.filter(provider_reference=payment_intent).first():
            return order
        if reported := invoice_reported_for(payment_intent):
            return orders.filter(provider_invoice_id=reported).first()
    return None


def charge_refunded(charge: dict, *, as_of=None) -> EventResult:
    payment_intent = ref_id(charge.get("payment_intent"))
    order = order_of_payment(number=text(mapping(charge, "metadata"), "order_number"), invoice_id=ref_id(charge.get("invoice")), payment_intent=payment_intent)
    if order is None:
        return EventResult(order=None, outcome=f"kept: refund of {payment_intent or 'an unknown payment'}, no order yet")
    if charge.get("refunded") is not True:
        return EventResult(order=order, outcome="kept: partial refund, access unchanged")
    order = order_refund_reported(order_id=order.pk)
    stop_renewing_after_commit(order, reason="refunded")
    return EventResult(order=order, outcome="refunded")


def stop_renewing_after_commit(order: Order, *, reason: str) -> None:
    """A refunded or charged-back subscription payment must not be followed by next year's charge
    (which would open the membership again): once this event is recorded, ask Stripe to stop
    renewing. Outside the event's transaction, so a slow Stripe never holds the webhook's locks;
    a failure is logged for an editor, and the reader can still cancel from My columns."""
    if order.subscription_id is None:
        return
    subscription_id = order.subscription_id

    def stop():
        subscription = Subscription.objects.filter(pk=subscription_id).first()
        if subscription is None or subscription.cancel_at_period_end or not subscription.is_live:
            return
        try:
            subscription_renewal_set(subscription, renew=False)
        except StripeError:
            logger.exception("Could not stop renewing subscription %s after order %s was %s", subscription.provider_subscription_id, order.number, reason)

    transaction.on_commit(stop)


def order_of_dispute(dispute: dict) -> Order | None:
    charge = dispute.get("charge")
    # An expanded charge carries the order number (one-off payments) or the invoice (older API versions).
    return order_of_payment(
        number=text(mapping(charge, "metadata"), "order_number") if isinstance(charge, dict) else "",
        invoice_id=ref_id(charge.get("invoice")) if isinstance(charge, dict) else "",
        payment_intent=ref_id(dispute.get("payment_intent")) or (ref_id(charge.get("payment_intent")) if isinstance(charge, dict) else ""),
    )


def dispute_closed_before(dispute_id: str) -> bool:
    return (
        bool(dispute_id)
        and PaymentEvent.objects.filter(provider=StripeProvider.name, event_type="charge.dispute.closed", payload__data__object__id=dispute_id).exists()
    )


def dispute_created(dispute: dict, *, as_of=None) -> EventResult:
    order = order_of_dispute(dispute)
    if order is None:
        logger.error("Stripe dispute %s names no order of ours (charge %s)", text(dispute, "id"), ref_id(dispute.get("charge")))
        return EventResult(order=None, outcome="kept: dispute of a payment we cannot find")
    if dispute_closed_before(text(dispute, "id")):
        return EventResult(order=order, outcome="kept: this dispute was already closed")
    order = order_dispute_opened(order_id=order.pk)
    logger.warning("Order %s is disputed (%s); its access is paused", order.number, text(dispute, "reason") or "no reason given")
    if order.status != Order.Status.DISPUTED:
        return EventResult(order=order, outcome=f"kept: a dispute of an order that is {order.status}")
    return EventResult(order=order, outcome="disputed: access paused")


def dispute_closed(dispute: dict, *, as_of=None) -> EventResult:
    order = order_of_dispute(dispute)
    status = text(dispute, "status")
    if order is None:
        logger.error("Stripe dispute %s closed as %s names no order of ours", text(dispute, "id"), status)
        return EventResult(order=None, outcome=f"kept: dispute closed as {status or 'unknown'}, no order")
    if status not in DISPUTE_WON | DISPUTE_LOST:
        logger.error("Stripe dispute %s of order %s closed as %r; nothing changed", text(dispute, "id"), order.number, status)
        return EventResult(order=order, outcome=f"kept: dispute closed as {status or 'unknown'}")
    if order.status == Order.Status.PAID:
        # The closing overtook the opening: open it now, so a lost dispute still ends the access.
        order_dispute_opened(order_id=order.pk)
    order = order_dispute_closed(order_id=order.pk, won=status in DISPUTE_WON)
    if order.status not in (Order.Status.PAID, Order.Status.CHARGED_BACK):
        return EventResult(order=order, outcome=f"kept: dispute {status}, order is {order.status}")
    if order.status == Order.Status.CHARGED_BACK:
        stop_renewing_after_commit(order, reason="charged back")
    return EventResult(order=order, outcome="dispute won: access restored" if status in DISPUTE_WON else "dispute lost: access stays ended")


def subscription_of_invoice(invoice: dict) -> str:
    """Before API 2025-03-31 an invoice names its subscription; after, its parent does."""
    return ref_id(invoice.get("subscription")) or ref_id(mapping(mapping(invoice, "parent"), "subscription_details").get("subscription"))


def order_number_of_invoice(invoice: dict) -> str:
    """The order number we put on the subscription's metadata, as the invoice repeats it."""
    details = mapping(invoice, "subscription_details") or mapping(mapping(invoice, "parent"), "subscription_details")
    return text(mapping(details, "metadata"), "order_number")


def payment_intent_of_invoice(invoice: dict) -> str:
    if payment_intent := ref_id(invoice.get("payment_intent")):
        return payment_intent
    payments = mapping(invoice, "payments").get("data")
    for invoice_payment in payments if isinstance(payments, list) else []:
        if payment_intent := ref_id(mapping(invoice_payment, "payment").get("payment_intent")):
            return payment_intent
    return payment_intent_reported_for(text(invoice, "id"))


def period_end_of_invoice(invoice: dict) -> datetime | None:
    return moment(mapping(first_item(invoice, "lines"), "period").get("end")) or moment(invoice.get("period_end"))


def subscription_placed(subscription_id: str, order: Order | None, **state) -> Subscription | None:
    return subscription_sync(provider=StripeProvider.name, provider_subscription_id=subscription_id, order=order, **state)


def invoice_paid(invoice: dict, *, as_of=None) -> EventResult:
    """invoice.paid and invoice.payment_succeeded, both sent for one invoice: the first invoice of a
    subscription pays the order that started it (a 0 one is a trial, and the first charge after it
    pays that order: see trial_events); each yearly one is a renewal order, made once."""
    invoice_id, subscription_id = text(invoice, "id"), subscription_of_invoice(invoice)
    if not invoice_id or not subscription_id:
        return EventResult(order=None, outcome="ignored: not a subscription invoice")
    reason = text(invoice, "billing_reason")
    number = order_number_of_invoice(invoice)
    started_by = stripe_orders().filter(number=number).first() if number else None
    payment_intent = payment_intent_of_invoice(invoice)
    state = {"status": Subscription.Status.ACTIVE, "current_period_end": period_end_of_invoice(invoice), "as_of": as_of}
    if reason == "subscription_create":
        order = started_by or stripe_orders().filter(provider_invoice_id=invoice_id, is_automatic_renewal=False).first()
        if order is None:
            return not_ready(as_of, f"first invoice {invoice_id} of subscription {subscription_id} before its order")
        if whole_number(invoice.get("amount_paid")) == 0:
            return trial_invoice_paid(order=order, subscription_id=subscription_id, ends_at=period_end_of_invoice(invoice), as_of=as_of)
        order_set_references(order_id=order.pk, invoice_id=invoice_id)
        result = pay(
            order,
            amount=invoice.get("amount_paid"),
            currency=text(invoice, "currency"),
            reference=payment_intent or invoice_id,
            payment_intent=payment_intent,
        )
        subscription_placed(subscription_id, order, **state)
        return result
    if reason != "subscription_cycle":
        return EventResult(order=None, outcome=f"ignored: invoice for {reason or 'no billing reason'}")
    subscription = subscription_placed(subscription_id, started_by)
    if subscription is None:
        return not_ready(as_of, f"renewal invoice {invoice_id} of unknown subscription {subscription_id}")
    amount, currency = whole_number(invoice.get("amount_paid")), text(invoice, "currency").lower()
    if currency != CURRENCY or not amount or amount <= 0:
        logger.error("Stripe renewal invoice %s paid %r %r: not applied", invoice_id, invoice.get("amount_paid"), currency)
        return EventResult(order=None, outcome=f"refused: renewal paid {invoice.get('amount_paid')!r} {currency!r}")
    after_trial = pays_checkout_order(started_by, subscription_id=subscription_id, invoice_id=invoice_id, amount=amount)
    if after_trial:
        order_set_references(order_id=started_by.pk, invoice_id=invoice_id)
    order = started_by if after_trial else order_renewal_create(subscription=subscription, invoice_id=invoice_id, amount_fen=amount)
    result = pay(order, amount=amount, currency=currency, reference=payment_intent or invoice_id, payment_intent=payment_intent)
    subscription_placed(subscription_id, None, **state)
    return EventResult(order=result.order, outcome=f"{'first year after the trial' if after_trial else 'renewal'} {result.outcome}"[:200])


def invoice_payment_failed(invoice: dict, *, as_of=None) -> EventResult:
    """A failed renewal charge: nothing is taken away; the membership ends on its date unless a
    later retry by Stripe succeeds."""
    subscription_id = subscription_of_invoice(invoice)
    if not subscription_id:
        return EventResult(order=None, outcome="ignored: not a subscription invoice")
    number = order_number_of_invoice(invoice)
    started_by = stripe_orders().filter(number=number).first() if number else None
    reason = text(invoice, "billing_reason")
    subscription = subscription_placed(
        subscription_id, started_by, **({"status": Subscription.Status.PAST_DUE, "as_of": as_of} if reason == "subscription_cycle" else {})
    )
    if subscription is None:
        return EventResult(order=None, outcome=f"ignored: failed invoice of unknown subscription {subscription_id}"[:200])
    logger.warning(
        "Renewal payment failed for subscription %s (%s, %s); the membership ends on its date",
        subscription_id,
        subscription.user,
        subscription.column,
    )
    return EventResult(order=None, outcome=f"payment failed: subscription {subscription.status}")


def invoice_payment_recorded(invoice_payment: dict, *, as_of=None) -> EventResult:
    """invoice_payment.paid (API 2025-03-31 on) pairs an invoice with its payment intent, which a
    later refund or dispute names. If the order is not there yet, its own event reads this one."""
    invoice_id = ref_id(invoice_payment.get("invoice"))
    payment_intent = ref_id(mapping(invoice_payment, "payment").get("payment_intent"))
    order = stripe_orders().filter(provider_invoice_id=invoice_id).first() if invoice_id else None
    if order is None or not payment_intent:
        return EventResult(order=None, outcome="kept: for the invoice's own event")
    if not order.provider_reference.startswith("pi_"):
        order_set_references(order_id=order.pk, reference=payment_intent)
    return EventResult(order=order, outcome="payment intent recorded")


def subscription_changed(subscription: dict, *, as_of=None, deleted: bool = False) -> EventResult:
    subscription_id = text(subscription, "id")
    number = text(mapping(subscription, "metadata"), "order_number")
    started_by = stripe_orders().filter(number=number).first() if number else None
    if not subscription_id:
        return EventResult(order=None, outcome="ignored: a subscription without an id")
    row = subscription_placed(
        subscription_id,
        started_by,
        status=Subscription.Status.CANCELED if deleted else text(subscription, "status"),
        cancel_at_period_end=stops_renewing(subscription),
        current_period_end=period_end_of_subscription(subscription),
        as_of=as_of,
    )
    if row is None:
        return EventResult(order=None, outcome="ignored: not a subscription of ours")
    renewal = "renews" if row.renews else "does not renew"
    trial = "" if deleted else subscription_trialing(subscription, started_by)
    return EventResult(order=started_by, outcome=f"subscription {row.status}, {renewal}" + (f"; {trial}" if trial else ""))


def session_async_failed(session: dict, *, as_of=None) -> EventResult:
    return session_failed(session, reason="stripe: checkout.session.async_payment_failed")


def session_expired(session: dict, *, as_of=None) -> EventResult:
    return session_failed(session, reason="stripe: checkout.session.expired")


def subscription_deleted(subscription: dict, *, as_of=None) -> EventResult:
    return subscription_changed(subscription, as_of=as_of, deleted=True)
