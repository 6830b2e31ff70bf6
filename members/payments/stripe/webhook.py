"""Stripe's webhook: verifying each event with the SDK and handing it to what it does.

`stripe.Webhook.construct_event` checks the Stripe-Signature header against the raw body and the
endpoint secret (any v1 signature may match while a secret is rolled; the timestamp must be
recent), and only then parses the body. The event goes on as a plain dict: that is what is stored
on its PaymentEvent and what the handlers in `events` read.
"""

import logging

import stripe

from members.payment_events import EventResult
from members.payments.stripe import events
from members.payments.stripe.payloads import moment

logger = logging.getLogger(__name__)


class SignatureError(Exception):
    """A webhook body that Stripe did not sign with our endpoint secret, or signed too long ago."""


def event_from_webhook(payload: bytes, signature_header: str, *, secret: str) -> dict:
    """The event in a webhook body, once its Stripe-Signature header proves Stripe sent it recently."""
    # Signatures are hex: anything else is refused here, before a comparison that accepts only ASCII.
    if not signature_header.isascii():
        raise SignatureError("The Stripe-Signature header is not ASCII.")
    try:
        event = stripe.Webhook.construct_event(payload, signature_header, secret)
    except stripe.SignatureVerificationError as error:
        raise SignatureError(error.user_message or "The signature does not verify.") from error
    except ValueError as error:
        raise SignatureError("The body is not JSON in UTF-8.") from error
    except AttributeError as error:
        # The SDK reads the parsed body as an object; a signed list or string is not an event.
        raise SignatureError("The body is not a Stripe event.") from error
    event = event.to_dict()
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise SignatureError("The body is not a Stripe event.")
    return event


def event_handle(event: dict) -> EventResult:
    """Apply one verified event. Called inside the transaction that records it."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    handler = EVENT_HANDLERS.get(event["type"])
    if handler is None:
        return EventResult(order=None, outcome="ignored: not an event we act on")
    if not isinstance(obj, dict):
        logger.warning("Stripe event %s (%s) carries no object", event["id"], event["type"])
        return EventResult(order=None, outcome="ignored: the event carries no object")
    return handler(obj, as_of=moment(event.get("created")))


# The events to send to the webhook endpoint (see the Stripe block in portal/settings.py).
EVENT_HANDLERS = {
    "checkout.session.completed": events.session_paid,
    "checkout.session.async_payment_succeeded": events.session_paid,
    "checkout.session.async_payment_failed": events.session_async_failed,
    "checkout.session.expired": events.session_expired,
    "charge.refunded": events.charge_refunded,
    "charge.dispute.created": events.dispute_created,
    "charge.dispute.closed": events.dispute_closed,
    "invoice.paid": events.invoice_paid,
    "invoice.payment_succeeded": events.invoice_paid,
    "invoice.payment_failed": events.invoice_payment_failed,
    "invoice_payment.paid": events.invoice_payment_recorded,
    "customer.subscription.created": events.subscription_changed,
    "customer.subscription.updated": events.subscription_changed,
    "customer.subscription.deleted": events.subscription_deleted,
}
