"""Stripe Checkout: the reader pays on Stripe's page; only the signed webhook activates anything.

No SDK: a Checkout Session is one form-encoded POST, and the webhook signature is an HMAC we check
ourselves (https://docs.stripe.com/webhooks#verify-manually).
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.models import Order, PaymentEvent
from members.payment_events import EventResult, order_refund_reported
from members.payments.base import ProviderStart
from members.services import PaymentMismatch, order_mark_failed, order_mark_paid

logger = logging.getLogger(__name__)

API_BASE = "https://api.stripe.com/v1"
SIGNATURE_TOLERANCE_SECONDS = 300
CURRENCY = "cny"


class StripeError(Exception):
    """Stripe could not be reached or refused the request."""


class SignatureError(Exception):
    """A webhook body that Stripe did not sign with our endpoint secret, or signed too long ago."""


class StripeProvider:
    name = "stripe"
    label = _("Card, Alipay or WeChat Pay through Stripe")

    def is_enabled(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def start(self, order, request) -> ProviderStart:
        try:
            session = checkout_session_create(order)
        except StripeError:
            logger.exception("Could not create a Stripe Checkout Session for order %s", order.number)
            messages.error(request, gettext("The payment service is not answering. Nothing was charged; please try again."))
            return ProviderStart(redirect_url=order.get_absolute_url())
        order.provider_reference = session["id"]
        order.save(update_fields=["provider_reference", "updated_at"])
        return ProviderStart(redirect_url=session["url"])


def checkout_session_create(order) -> dict:
    site = settings.SITE_URL.rstrip("/")
    params = {
        "mode": "payment",
        "client_reference_id": order.number,
        "metadata[order_number]": order.number,
        # Copied onto the payment and its charge, so a refund finds the order even before the
        # session's completion has told us the payment intent.
        "payment_intent_data[metadata][order_number]": order.number,
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": CURRENCY,
        "line_items[0][price_data][unit_amount]": str(order.amount_fen),
        "line_items[0][price_data][product_data][name]": f"{order.column.title} · {order.get_plan_kind_display()}",
        # The success page only shows the order; the membership comes from the webhook alone.
        "success_url": site + order.get_absolute_url(),
        "cancel_url": site + reverse("members:checkout", kwargs={"plan_id": order.plan_id}),
    }
    # The same order resubmitted within Stripe's 24 hours gets the same session back.
    session = stripe_api_post("/checkout/sessions", params, idempotency_key=f"checkout-session-{order.number}")
    if not isinstance(session.get("id"), str) or not isinstance(session.get("url"), str):
        raise StripeError(f"Stripe answered without a session: {session}")
    return session


def stripe_api_post(path: str, params: dict[str, str], *, idempotency_key: str) -> dict:
    """The one call to Stripe's network; tests replace it."""
    request = urllib.request.Request(
        API_BASE + path,
        data=urlencode(params).encode(),
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}", "Idempotency-Key": idempotency_key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise StripeError(str(error)) from error


def event_from_webhook(payload: bytes, signature_header: str, *, secret: str, now: float | None = None) -> dict:
    """The event in a webhook body, once its Stripe-Signature header proves Stripe sent it recently."""
    pairs = [item.split("=", 1) for item in signature_header.split(",") if "=" in item]
    timestamps = [value.strip() for key, value in pairs if key.strip() == "t"]
    signatures = [value.strip() for key, value in pairs if key.strip() == "v1"]
    if not timestamps or not signatures or not timestamps[0].isdigit():
        raise SignatureError("The Stripe-Signature header has no timestamp or no v1 signature.")
    expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + payload, hashlib.sha256).hexdigest()
    # Stripe sends several v1 signatures while an endpoint secret is being rolled.
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise SignatureError("No v1 signature matches the endpoint secret.")
    now = time.time() if now is None else now
    if abs(now - int(timestamps[0])) > SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureError("The signature is too old; this may be a replay.")
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise SignatureError("The body is not JSON.") from error
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise SignatureError("The body is not a Stripe event.")
    return event


def event_handle(event: dict) -> EventResult:
    """Apply one verified event. Called inside the transaction that records it."""
    kind = event["type"]
    data = event.get("data", {}).get("object", {})
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return session_paid(data)
    if kind in ("checkout.session.async_payment_failed", "checkout.session.expired"):
        return session_failed(data, reason=f"stripe: {kind}")
    if kind == "charge.refunded":
        return charge_refunded(data)
    return EventResult(order=None, outcome="ignored: not an event we act on")


def order_of_session(session: dict) -> Order | None:
    number = session.get("client_reference_id") or (session.get("metadata") or {}).get("order_number")
    return Order.objects.filter(number=number, provider=StripeProvider.name).first() if number else None


def session_paid(session: dict) -> EventResult:
    order = order_of_session(session)
    if order is None:
        return EventResult(order=None, outcome="ignored: no order for this session")
    if session.get("payment_status") != "paid":
        # A delayed method (bank debit): async_payment_succeeded or _failed follows.
        return EventResult(order=order, outcome=f"waiting: payment status {session.get('payment_status')}")
    payment_intent = session.get("payment_intent") or ""
    if payment_intent and refund_seen_before(payment_intent):
        order_refund_reported(order_id=order.pk)
        return EventResult(order=order, outcome="refused: the payment was refunded before it was confirmed")
    amount = session.get("amount_total")
    currency = (session.get("currency") or "").lower()
    try:
        if currency != CURRENCY or not isinstance(amount, int):
            raise PaymentMismatch(f"Order {order.number} was paid {amount!r} {currency!r}, not in {CURRENCY}.")
        _, activated = order_mark_paid(order_id=order.pk, amount_fen=amount, reference=payment_intent or session["id"])
    except PaymentMismatch as error:
        # Stripe retrying would not change the amount; an editor settles it from the event log.
        logger.error("Stripe payment not applied: %s", error)
        return EventResult(order=order, outcome=f"refused: {error}")
    return EventResult(order=order, outcome="activated" if activated else "already paid")


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


def charge_refunded(charge: dict) -> EventResult:
    number = (charge.get("metadata") or {}).get("order_number")
    payment_intent = charge.get("payment_intent") or ""
    orders = Order.objects.filter(provider=StripeProvider.name)
    if number:
        order = orders.filter(number=number).first()
    else:
        order = orders.filter(provider_reference=payment_intent).first() if payment_intent else None
    if order is None:
        return EventResult(order=None, outcome=f"kept: refund of {payment_intent or 'an unknown payment'}, no order yet")
    if not charge.get("refunded"):
        return EventResult(order=order, outcome="kept: partial refund, access unchanged")
    order = order_refund_reported(order_id=order.pk)
    return EventResult(order=order, outcome="refunded")
