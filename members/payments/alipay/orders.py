"""Asking Alipay about our orders (alipay.trade.query) and closing the ones nobody paid in time
(alipay.trade.close), for the return page and the `alipay_reconcile` command.

Alipay creates its trade only once the reader has logged in or scanned on its cashier page, so
ACQ.TRADE_NOT_EXIST (signed) means the reader never got that far: still possible before the
deadline, final after it.
"""

import logging

from django.conf import settings
from django.core.cache import cache

from members.models import Order
from members.payment_events import payment_event_apply
from members.payments.alipay.client import AlipayError, AlipayRefused, api_call
from members.payments.alipay.notifications import CLOSED, PAID_TRADE_STATUSES, PROVIDER, TRADE_QUERY, notification_handle, personal_data_removed
from members.payments.alipay.provider import order_is_expired
from members.services import order_mark_failed

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 5
TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
UNPAID = "WAIT_BUYER_PAY"
# The answer's own envelope, not facts about the trade.
ENVELOPE_FIELDS = ("code", "msg", "sub_code", "sub_msg")


class CheckedTooRecently(Exception):
    """The reader asked about this order a moment ago."""


def trade_query(number: str) -> dict:
    """Alipay's record of our order: trade_status WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_FINISHED or TRADE_CLOSED."""
    return api_call("alipay.trade.query", {"out_trade_no": number})


def trade_close(number: str) -> None:
    """Make an unpaid trade unpayable. Alipay refuses to close a paid one (ACQ.TRADE_STATUS_ERROR)."""
    api_call("alipay.trade.close", {"out_trade_no": number})


def order_check(order) -> Order:
    """The reader is back from Alipay or pressed "check again": ask Alipay, at most once every few
    seconds per order, and settle an order past its deadline."""
    if not cache.add(f"alipay:checked:{order.number}", True, CHECK_INTERVAL_SECONDS):
        raise CheckedTooRecently(order.number)
    return order_sync(order, close_unpaid=order_is_expired(order))


def order_sync(order, *, close_unpaid: bool = False) -> Order:
    """Bring our order in line with Alipay's record and return it fresh.

    Paid → marked paid through the same handler as a notification (once, however often asked).
    Closed at Alipay → failed, and the reader may buy again. Unpaid with `close_unpaid` → closed at
    Alipay first, then failed. Anything else stays pending."""
    try:
        trade = trade_query(order.number)
    except AlipayRefused as refusal:
        if refusal.sub_code != TRADE_NOT_EXIST or not refusal.verified:
            raise
        if close_unpaid:
            return order_mark_failed(order_id=order.pk, reason="alipay: the reader never reached Alipay's cashier in time")
        return Order.objects.get(pk=order.pk)
    status = trade.get("trade_status")
    if status in PAID_TRADE_STATUSES | {CLOSED}:
        event_id = f"query:{order.number}:{status}"
        fields = {name: value for name, value in trade.items() if name not in ENVELOPE_FIELDS}
        # The answer names no app: it is the answer to the question our app signed.
        fields = personal_data_removed({**fields, "notify_type": TRADE_QUERY, "notify_id": event_id, "app_id": settings.ALIPAY_APP_ID})
        payment_event_apply(provider=PROVIDER, event_id=event_id, event_type=f"QUERY.{status}", payload=fields, handler=notification_handle)
    elif status == UNPAID and close_unpaid:
        trade_close(order.number)
        return order_mark_failed(order_id=order.pk, reason="alipay: not paid in time; closed at Alipay")
    return Order.objects.get(pk=order.pk)


def order_expire(order) -> Order:
    """The order's payment window has passed: settle it now rather than wait for the reconcile
    command. If Alipay cannot be asked, the order stays pending for the command."""
    try:
        return order_sync(order, close_unpaid=True)
    except AlipayError as error:
        logger.warning("Could not settle the expired Alipay order %s: %s", order.number, error)
        return Order.objects.get(pk=order.pk)


def pending_orders_created_before(moment):
    return Order.objects.filter(provider=PROVIDER, status=Order.Status.PENDING, created_at__lt=moment).order_by("created_at")
