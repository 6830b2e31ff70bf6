"""Alipay's asynchronous notifications (异步通知), and the handler that applies them.

Alipay POSTs form-encoded fields to notify_url, encoded in the charset it names, e.g.

    notify_type=trade_status_sync&notify_id=…&app_id=…&out_trade_no=…&trade_no=…&seller_id=2088…
    &trade_status=TRADE_SUCCESS&total_amount=99.00&sign_type=RSA2&sign=…

and resends it over about a day until it receives the literal answer `success`. Its signature
covers every field with a value except sign and sign_type. The same handler applies Alipay's signed
answers to our queries (members.payments.alipay.orders), so both take one path to an order.

Trade statuses: TRADE_SUCCESS and TRADE_FINISHED are paid (FINISHED: no longer refundable);
TRADE_CLOSED is an unpaid trade that timed out or was closed, or a paid one refunded in full.
"""

import hashlib
import hmac
import logging
import re
from urllib.parse import parse_qsl

from django.conf import settings

from members.models import Order
from members.payment_events import EventResult
from members.payments.alipay.client import content_to_sign, signature_valid
from members.payments.alipay.provider import fen_of
from members.payments.alipay.refunds import CLOSED, is_refund, refund_apply
from members.services import PaymentMismatch, order_mark_failed, order_mark_paid

logger = logging.getLogger(__name__)

PROVIDER = "alipay"
TRADE_STATUS_SYNC = "trade_status_sync"
TRADE_QUERY = "trade_query"  # our own name for an answer to alipay.trade.query
PAID_TRADE_STATUSES = {"TRADE_SUCCESS", "TRADE_FINISHED"}
CHARSETS = {"utf-8", "gbk", "gb2312"}
CHARSET_FIELD = re.compile(rb"(?:^|&)charset=([A-Za-z0-9_-]{1,20})(?:&|$)")
# The payer's Alipay account name (a masked phone number or email) is not kept; their Alipay user
# id becomes a keyed hash (enough to see two payments came from one account).
DROPPED_FIELDS = ("buyer_logon_id", "buyer_user_name", "buyer_email")
HASHED_FIELDS = ("buyer_id", "buyer_user_id", "buyer_open_id")


class NotificationError(Exception):
    """A notification that Alipay did not sign, or that is not shaped like Alipay's."""


def notification_from_body(body: bytes) -> dict:
    """The notification's fields, once its signature proves Alipay sent them, without the signature
    and the payer's identity."""
    match = CHARSET_FIELD.search(body)
    charset = match.group(1).decode().lower() if match else "utf-8"
    if charset not in CHARSETS:
        raise NotificationError(f"Unknown charset {charset!r}.")
    try:
        pairs = parse_qsl(body.decode(charset), keep_blank_values=True, strict_parsing=True, encoding=charset, errors="strict", max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as error:
        raise NotificationError("The body is not form-encoded in the charset it names.") from error
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotificationError("A field appears twice.")
    if fields.get("sign_type") != "RSA2":
        raise NotificationError(f"Signature type {fields.get('sign_type')!r}, not RSA2.")
    if not signature_valid(content_to_sign(fields, leave_out=("sign", "sign_type")).encode(charset), fields.get("sign")):
        raise NotificationError("The signature is not Alipay's.")
    if not fields.get("notify_id"):
        raise NotificationError("The notification has no notify_id.")
    del fields["sign"]
    return personal_data_removed(fields)


def personal_data_removed(fields: dict) -> dict:
    kept = {name: value for name, value in fields.items() if name not in DROPPED_FIELDS and name not in HASHED_FIELDS}
    buyer = next((str(fields[name]) for name in HASHED_FIELDS if fields.get(name)), None)
    if buyer is not None:
        kept["buyer_hash"] = hmac.new(settings.SECRET_KEY.encode(), buyer.encode(), hashlib.sha256).hexdigest()[:32]
    return kept


def event_type_of(fields: dict) -> str:
    """How the event log names it: the trade status, REFUND.… for a refund."""
    status = str(fields.get("trade_status") or fields.get("notify_type") or "unknown")
    return f"REFUND.{status}" if is_refund(fields) else status


def notification_handle(fields: dict) -> EventResult:
    """Apply one verified notification (or verified answer to a query). Called inside the
    transaction that records it; an exception rolls both back so Alipay sends it again."""
    if fields.get("notify_type") not in (TRADE_STATUS_SYNC, TRADE_QUERY):
        return EventResult(order=None, outcome="ignored: not a notification we act on")
    number = fields.get("out_trade_no")
    order = Order.objects.filter(number=number, provider=PROVIDER).first() if number else None
    if order is None:
        return EventResult(order=None, outcome="ignored: no order of ours for this trade")
    if fields.get("app_id") != settings.ALIPAY_APP_ID:
        logger.error("Alipay reported order %s for app %r", order.number, fields.get("app_id"))
        return EventResult(order=order, outcome="refused: another app")
    if settings.ALIPAY_SELLER_ID and fields["notify_type"] == TRADE_STATUS_SYNC and fields.get("seller_id") != settings.ALIPAY_SELLER_ID:
        logger.error("Alipay reported order %s paid to seller %r", order.number, fields.get("seller_id"))
        return EventResult(order=order, outcome="refused: another seller")
    status = fields.get("trade_status")
    if status in PAID_TRADE_STATUSES:
        paid = payment_apply(order, fields)
        if not is_refund(fields) or paid.outcome.startswith("refused"):
            return paid
        # A refund notification still says the trade was paid: the payment counts first, then the refund.
        refund = refund_apply(order, fields)
        return EventResult(order=refund.order, outcome=f"{paid.outcome}; {refund.outcome}")
    if status == CLOSED:
        if is_refund(fields):
            return refund_apply(order, fields)
        order = order_mark_failed(order_id=order.pk, reason="alipay: TRADE_CLOSED")
        return EventResult(order=order, outcome=f"order {order.status}")
    return EventResult(order=order, outcome=f"ignored: trade status {status!r}")


def payment_apply(order: Order, fields: dict) -> EventResult:
    try:
        currency = fields.get("trans_currency") or "CNY"
        if currency != "CNY":
            raise PaymentMismatch(f"Order {order.number} was paid in {currency!r}, not CNY.")
        fen = fen_of(fields.get("total_amount"))
        if fen is None:
            raise PaymentMismatch(f"Order {order.number} has no exact total_amount in Alipay's record ({fields.get('total_amount')!r}).")
        _, activated = order_mark_paid(order_id=order.pk, amount_fen=fen, reference=str(fields.get("trade_no") or "")[:200])
    except PaymentMismatch as error:
        # Alipay resending it would not change it; an editor settles it from the event log.
        logger.error("Alipay payment not applied: %s", error)
        return EventResult(order=order, outcome=f"refused: {error}")
    return EventResult(order=order, outcome="activated" if activated else "already paid")
