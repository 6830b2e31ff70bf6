"""Notifications from payment providers, applied once each.

The event row and the work it causes commit together: a redelivery finds the row and does nothing,
and a failure in the work rolls the row back too, so the provider's retry does the work again. A
handler raises RetryLater for an event that overtook the one it depends on: nothing is kept, and
the provider's retry finds the earlier event applied.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from members.models import Order, PaymentEvent
from members.services import order_refund


class RetryLater(Exception):
    """The event depends on one that has not arrived yet; answer non-2xx so the provider resends it."""


@dataclass(frozen=True)
class EventResult:
    """What a provider's handler did with one notification, kept on its PaymentEvent."""

    order: Order | None
    outcome: str


def payment_event_apply(*, provider: str, event_id: str, event_type: str, payload: dict, handler: Callable[[dict], EventResult]) -> PaymentEvent | None:
    """Record the event and let `handler` act on it, in one transaction. None for a redelivery.

    RetryLater and any other error from the handler propagate, and the event is not recorded."""
    with transaction.atomic():
        try:
            # A savepoint: on PostgreSQL a concurrent delivery of the same event waits here for the
            # first one to commit, then fails the unique constraint and leaves without doing anything.
            with transaction.atomic():
                event = PaymentEvent.objects.create(provider=provider, event_id=event_id[:200], event_type=event_type[:100], payload=payload)
        except IntegrityError:
            return None
        result = handler(payload)
        event.order = result.order
        event.outcome = result.outcome[:200]
        event.save(update_fields=["order", "outcome"])
    return event


def order_refund_reported(*, order_id: int) -> Order:
    """A provider reports a refund. A paid order loses its access; an order whose payment has not
    been confirmed yet (the refund overtook the confirmation) is closed as refunded, so the late
    confirmation is refused by order_mark_paid instead of granting access that was paid back."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == Order.Status.PAID:
            return order_refund(order_id=order.pk)
        if order.status != Order.Status.REFUNDED:
            order.status = Order.Status.REFUNDED
            order.refunded_at = timezone.now()
            order.save(update_fields=["status", "refunded_at", "updated_at"])
    return order
