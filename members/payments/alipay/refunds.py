"""Alipay refunds, as its trade notifications report them.

A refund (from the merchant console, 商家平台, or alipay.trade.refund) comes back as a notification
of the trade it refunds, carrying gmt_refund, the refund request's out_biz_no and `refund_fee`:
the total refunded so far, not this refund alone. So refunds are summed by Alipay, and a redelivered
or late notification of an earlier part reports a smaller total than the parts after it, never a
larger one. After a partial refund the trade stays TRADE_SUCCESS and the reader keeps access; once
the refunds reach the price paid, access ends, and Alipay closes a trade refunded in full
(TRADE_CLOSED), which ends access whatever total it reports.
"""

from members.models import Order
from members.payment_events import EventResult, order_refund_reported
from members.payments.alipay.provider import fen_of

CLOSED = "TRADE_CLOSED"


def is_refund(fields: dict) -> bool:
    return bool(fields.get("gmt_refund")) or (fen_of(fields.get("refund_fee")) or 0) > 0


def refund_apply(order: Order, fields: dict) -> EventResult:
    """Apply one verified refund notification of our order, inside the transaction that records it."""
    if fields.get("trade_status") != CLOSED:
        refunded = fen_of(fields.get("refund_fee"))
        if refunded is None:
            return EventResult(order=order, outcome="kept: a refund without an exact refund_fee, access unchanged")
        if refunded < order.amount_fen:
            return EventResult(order=order, outcome=f"kept: {refunded} of {order.amount_fen} fen refunded, access unchanged")
    # order_refund_reported also closes an order whose payment was never applied, so that a late
    # payment notification is refused instead of opening access that was paid back.
    order = order_refund_reported(order_id=order.pk)
    return EventResult(order=order, outcome="refunded")
