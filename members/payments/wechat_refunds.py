"""WeChat Pay refunds, summed per order.

A payment may be refunded in parts, and WeChat Pay reports each part on its own (REFUND.SUCCESS,
its `amount.refund` being that part alone). Each finished refund counts once, by its refund id,
however often it is delivered; access ends when the refunds add up to the price paid.
"""

from django.conf import settings

from members.models import Order, PaymentEvent
from members.payment_events import EventResult, order_refund_reported


def refund_apply(order: Order, resource: dict) -> EventResult:
    """Apply one verified REFUND.SUCCESS of our order, inside the transaction that records it."""
    refund = finished_refund(resource, order)
    if refund is None:
        return EventResult(order=order, outcome="kept: unfinished refund or one of another amount, access unchanged")
    # Locked before summing: a refund of the same order applied at the same moment waits here, and
    # its sum then includes this one, which is recorded by the time this transaction commits.
    Order.objects.select_for_update().get(pk=order.pk)
    refund_id, fen = refund
    refunded = sum({**refunds_reported(order), refund_id: fen}.values())
    if refunded < order.amount_fen:
        return EventResult(order=order, outcome=f"kept: {refunded} of {order.amount_fen} fen refunded, access unchanged")
    order = order_refund_reported(order_id=order.pk)
    return EventResult(order=order, outcome="refunded")


def finished_refund(resource, order: Order) -> tuple[str, int] | None:
    """(refund id, fen) of a refund of this order's payment that reached the payer, else None."""
    if not isinstance(resource, dict) or not isinstance(resource.get("amount"), dict):
        return None
    refund_id, amount = resource.get("refund_id") or resource.get("out_refund_no"), resource["amount"]
    if resource.get("refund_status") != "SUCCESS" or not isinstance(refund_id, str) or not refund_id or amount.get("total") != order.amount_fen:
        return None
    fen = amount.get("refund")
    return (refund_id, fen) if type(fen) is int and fen > 0 else None


def refunds_reported(order: Order) -> dict[str, int]:
    """The finished refunds of this order among the recorded notifications, by refund id."""
    events = PaymentEvent.objects.filter(
        provider=order.provider,
        event_type="REFUND.SUCCESS",
        payload__resource__out_trade_no=order.number,
        payload__resource__mchid=settings.WECHAT_PAY_MCH_ID,
    )
    refunds = (finished_refund(event.payload.get("resource"), order) for event in events)
    return dict(refund for refund in refunds if refund is not None)
