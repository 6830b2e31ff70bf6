"""WeChat Pay, API v3, the way the reader's device can pay: on a computer the reader scans a QR
code shown on our page (Native); in a phone's browser WeChat's cashier page opens WeChat (H5,
wechat_h5); inside WeChat's own browser the payment sheet opens over our page (JSAPI,
wechat_jsapi). Whichever way, one order is one `out_trade_no` at WeChat Pay, so an order can never
be paid twice, and access opens only on a payment WeChat Pay confirms with its signature: the
encrypted payment notification, or its signed answer when we ask about the order ("I have paid",
the pay pages' polling, and the `wechat_pay_reconcile` command for orders nobody finished).

Requests are signed with the merchant key (wechat_api); answers and notifications are verified with
the platform keys (wechat_certificates) and notifications decrypted with the APIv3 key
(https://pay.weixin.qq.com/doc/v3/merchant/4012791874).
"""

import binascii
import copy
import hashlib
import hmac
import json
import logging
from datetime import timedelta
from urllib.parse import quote

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Order
from members.payment_events import EventResult, payment_event_apply
from members.payments.base import ProviderStart
from members.payments.wechat_api import WechatPayError, exchange
from members.payments.wechat_certificates import SignatureError, SignatureProbe, aead_decrypt, answer_verify, message_verify
from members.payments.wechat_methods import Method, method_on, our_app_ids
from members.payments.wechat_refunds import refund_apply
from members.services import PaymentMismatch, order_mark_failed, order_mark_paid

logger = logging.getLogger(__name__)

NATIVE_ORDER_PATH = "/v3/pay/transactions/native"
# WeChat Pay keeps an unpaid Native order payable for two hours; we tell it so with time_expire,
# so a code photographed and paid days later is refused by WeChat Pay itself.
PAYABLE_FOR = timedelta(hours=2)
CODE_URL_SECONDS = 110 * 60
CHECK_INTERVAL_SECONDS = 5
PAID_TRADE_STATES = {"SUCCESS", "REFUND"}  # REFUND: paid, then a refund was started
FAILED_TRADE_STATES = {"CLOSED", "REVOKED", "PAYERROR"}
PERSONAL_FIELDS = ("user_received_account",)


class NotificationError(Exception):
    """A notification that WeChat Pay did not sign, signed too long ago, or that will not decrypt."""


class NotificationProbe(NotificationError):
    """WeChat Pay testing that we refuse a wrong signature."""


class WechatPayRefused(WechatPayError):
    """WeChat Pay answered with an error status. `verified` says whether it signed the answer, so
    only a verified refusal (like ORDER_NOT_EXIST) may change an order."""

    def __init__(self, status: int, code: str, message: str, *, verified: bool):
        super().__init__(f"WeChat Pay answered {status} {code}: {message}")
        self.status, self.code, self.message, self.verified = status, code, message, verified

    def order_number_taken(self) -> bool:
        """WeChat Pay holds this order number with other parameters: OUT_TRADE_NO_USED, or as older
        answers put it, "201 商户订单号重复"."""
        return self.verified and (self.code == "OUT_TRADE_NO_USED" or "订单号重复" in self.message)


class OrderExpired(WechatPayError):
    """The order is past the time WeChat Pay accepts payment for it."""


class OrderStartedElsewhere(WechatPayError):
    """WeChat Pay already has this order number, placed another way: the reader opened it on
    another device (a QR code on a computer, then the order page on a phone). One order number
    stays one payment, so the reader pays where they started or starts a new order here."""


class CheckedTooRecently(Exception):
    """The reader asked about this order a moment ago."""


class WechatPayProvider:
    name = "wechat"
    label = _("WeChat Pay")

    def is_enabled(self) -> bool:
        # The platform certificate file is optional: without it the certificates are downloaded.
        return all(
            (
                settings.WECHAT_PAY_MCH_ID,
                settings.WECHAT_PAY_APP_ID,
                settings.WECHAT_PAY_API_V3_KEY,
                settings.WECHAT_PAY_PRIVATE_KEY_PATH,
                settings.WECHAT_PAY_SERIAL_NO,
            )
        )

    def offered_on(self, device) -> bool:
        return method_on(device) is not None

    def label_on(self, device) -> str:
        return _("WeChat Pay (scan a QR code)") if method_on(device) == Method.NATIVE else self.label

    def start(self, order, request) -> ProviderStart:
        return ProviderStart(redirect_url=reverse("members:wechat-pay", kwargs={"number": order.number}))


# Calling the API


def api_call(method: str, path: str, payload: dict | None = None) -> dict:
    """A signed request whose answer must carry WeChat Pay's signature; an unsigned or forged
    answer is an error like a lost connection, and nothing is stored from it."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
    answer = exchange(method, path, body)
    try:
        answer_verify(answer)
        verified = True
    except SignatureError as error:
        if 200 <= answer.status < 300:
            raise WechatPayError(f"{method} {path}: the answer is not signed by WeChat Pay ({error}).") from error
        verified = False
    try:
        data = json.loads(answer.body) if answer.body.strip() else {}
    except ValueError as error:
        raise WechatPayError(f"{method} {path}: the answer is not JSON.") from error
    if not isinstance(data, dict):
        raise WechatPayError(f"{method} {path}: the answer is not a JSON object.")
    if not 200 <= answer.status < 300:
        raise WechatPayRefused(answer.status, str(data.get("code", "")), str(data.get("message", ""))[:300], verified=verified)
    return data


def expires_at(order):
    return order.created_at + PAYABLE_FOR


def prepared(order, kind: str, create, seconds: int = CODE_URL_SECONDS) -> str:
    """What WeChat Pay gave us for paying this order one way (a code_url, a prepay_id, an h5_url),
    remembered while it lasts. WeChat Pay answers the same order with the same parameters alike,
    so asking again after the cache forgets is harmless; any change of them, though, it refuses as
    a reused order number (`OrderStartedElsewhere`)."""
    remaining = (expires_at(order) - timezone.now()).total_seconds()
    if remaining < 60:
        raise OrderExpired(f"Order {order.number} could only be paid until {expires_at(order):%Y-%m-%d %H:%M}.")
    key = prepared_key(order, kind)
    value = cache.get(key)
    if value is None:
        value = create()
        cache.set(key, value, min(seconds, int(remaining)))
    return value


def prepared_key(order, kind: str) -> str:
    return f"wechat-pay:{kind}:{order.number}"


def code_url_for(order) -> str:
    """The weixin:// link the reader's QR code encodes."""
    return prepared(order, "code-url", lambda: native_order_create(order))


def order_fields(order, app_id: str) -> dict:
    """What every way of paying tells WeChat Pay about the order, the same on every call."""
    return {
        "appid": app_id,
        "mchid": settings.WECHAT_PAY_MCH_ID,
        "description": f"{order.column.title} · {order.get_plan_kind_display()}"[:127],
        "out_trade_no": order.number,
        "time_expire": timezone.localtime(expires_at(order)).isoformat(timespec="seconds"),
        "notify_url": settings.SITE_URL.rstrip("/") + reverse("members:wechat-notify"),
        "amount": {"total": order.amount_fen, "currency": "CNY"},
    }


def order_place(order, path: str, payload: dict, field: str) -> str:
    """Place the order at WeChat Pay one way and return the answer's `field`. A signed refusal
    saying the order number is taken means the order was opened another way (on another device)."""
    try:
        answer = api_call("POST", path, payload)
    except WechatPayRefused as refusal:
        if refusal.order_number_taken():
            raise OrderStartedElsewhere(str(refusal)) from refusal
        raise
    if not isinstance(answer.get(field), str) or not answer[field]:
        raise WechatPayError(f"No {field} in WeChat Pay's answer for order {order.number}.")
    return answer[field]


def native_order_create(order) -> str:
    return order_place(order, NATIVE_ORDER_PATH, order_fields(order, settings.WECHAT_PAY_APP_ID), "code_url")


def order_path(number: str) -> str:
    return f"/v3/pay/transactions/out-trade-no/{quote(number, safe='')}"


def transaction_query(number: str) -> dict:
    """WeChat Pay's record of our order (trade_state NOTPAY, USERPAYING, SUCCESS, REFUND, CLOSED…)."""
    return api_call("GET", f"{order_path(number)}?mchid={quote(settings.WECHAT_PAY_MCH_ID, safe='')}")


def transaction_close(number: str) -> None:
    """Make an unpaid order unpayable, so a QR code scanned later cannot take money for an order
    we have given up on. WeChat Pay refuses to close a paid order."""
    api_call("POST", f"{order_path(number)}/close", {"mchid": settings.WECHAT_PAY_MCH_ID})


# Reconciling an order with WeChat Pay's record


def order_check(order) -> Order:
    """The reader pressed "I have paid": ask WeChat Pay, at most once every few seconds per order."""
    if not cache.add(f"wechat-pay:checked:{order.number}", True, CHECK_INTERVAL_SECONDS):
        raise CheckedTooRecently(order.number)
    return order_sync(order)


def order_sync(order, *, close_unpaid: bool = False) -> Order:
    """Bring our order in line with WeChat Pay's record and return it fresh.

    Paid → marked paid through the same checks as a notification (once, however often asked).
    Closed or failed at WeChat Pay → failed, and the reader may buy again. Unpaid with
    `close_unpaid` → closed at WeChat Pay first, then failed. Anything else stays pending."""
    try:
        transaction = transaction_query(order.number)
    except WechatPayRefused as refusal:
        if refusal.code != "ORDER_NOT_EXIST" or not refusal.verified:
            raise
        if close_unpaid:
            # The reader never reached the QR code, so WeChat Pay never heard of the order.
            return order_mark_failed(order_id=order.pk, reason="wechat: abandoned before a QR code was shown")
        return Order.objects.get(pk=order.pk)
    state = transaction.get("trade_state")
    if state in PAID_TRADE_STATES | FAILED_TRADE_STATES:
        resource = personal_data_removed(transaction)
        payment_event_apply(
            provider=WechatPayProvider.name,
            event_id=f"query:{order.number}:{state}",
            event_type=f"QUERY.{state}",
            payload={"id": f"query:{order.number}:{state}", "event_type": f"QUERY.{state}", "resource": resource},
            handler=notification_handle,
        )
    elif state == "NOTPAY" and close_unpaid:
        transaction_close(order.number)
        cache.delete_many([prepared_key(order, "code-url"), prepared_key(order, "h5-url")])
        return order_mark_failed(order_id=order.pk, reason="wechat: not paid in time; closed at WeChat Pay")
    return Order.objects.get(pk=order.pk)


def order_expire(order) -> Order:
    """The order's payment window has passed: settle it now rather than wait for the reconcile
    command. If WeChat Pay cannot be asked, the order stays pending for the command."""
    try:
        return order_sync(order, close_unpaid=True)
    except WechatPayError as error:
        logger.warning("Could not settle the expired WeChat Pay order %s: %s", order.number, error)
        return Order.objects.get(pk=order.pk)


def pending_orders_created_before(moment):
    return Order.objects.filter(provider=WechatPayProvider.name, status=Order.Status.PENDING, created_at__lt=moment).order_by("created_at")


def order_is_expired(order, now=None) -> bool:
    return expires_at(order) <= (now or timezone.now())


# Notifications


def notification_from_request(body: bytes, headers) -> dict:
    """The notification with its resource decrypted and the payer's identity removed, once its
    headers prove WeChat Pay sent it in the last five minutes."""
    try:
        message_verify(
            timestamp=headers.get("wechatpay-timestamp", ""),
            nonce=headers.get("wechatpay-nonce", ""),
            signature=headers.get("wechatpay-signature", ""),
            serial=headers.get("wechatpay-serial", ""),
            body=body,
        )
    except SignatureProbe as probe:
        raise NotificationProbe(str(probe)) from probe
    except SignatureError as error:
        raise NotificationError(str(error)) from error
    try:
        envelope = json.loads(body)
        resource = envelope["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise NotificationError(f"Unknown algorithm {resource.get('algorithm')!r}.")
        decrypted = json.loads(aead_decrypt(resource))
        if not isinstance(decrypted, dict) or not isinstance(envelope["id"], str) or not isinstance(envelope["event_type"], str):
            raise NotificationError("The notification is not shaped like WeChat Pay's.")
    except (InvalidTag, KeyError, TypeError, AttributeError, binascii.Error, ValueError) as error:
        raise NotificationError("The resource does not decrypt with the APIv3 key.") from error
    return {
        "id": envelope["id"],
        "event_type": envelope["event_type"],
        "create_time": envelope.get("create_time", ""),
        "summary": envelope.get("summary", ""),
        "resource": personal_data_removed(decrypted),
    }


def personal_data_removed(resource: dict) -> dict:
    """The resource as we keep it: the payer's openid becomes a keyed hash (enough to see that two
    payments came from one WeChat account, useless to anyone without our secret key) and the
    account a refund was paid into is dropped."""
    kept = copy.deepcopy(resource)
    for field in PERSONAL_FIELDS:
        kept.pop(field, None)
    payer = kept.get("payer")
    if isinstance(payer, dict):
        # One payer has one openid, under one of these names.
        openids = [str(value) for name, value in payer.items() if name in ("openid", "sp_openid", "sub_openid")]
        kept["payer"] = {"openid_hash": hmac.new(settings.SECRET_KEY.encode(), openids[-1].encode(), hashlib.sha256).hexdigest()[:32]} if openids else {}
    return kept


def notification_handle(notification: dict) -> EventResult:
    """Apply one verified notification (or verified answer to a query). Called inside the
    transaction that records it; an exception rolls both back so WeChat Pay sends it again."""
    kind = notification["event_type"]
    resource = notification["resource"]
    if kind == "TRANSACTION.SUCCESS" or kind.startswith("QUERY."):
        return transaction_apply(resource)
    if kind == "REFUND.SUCCESS":
        return refund_succeeded(resource)
    if kind in ("REFUND.ABNORMAL", "REFUND.CLOSED"):
        return refund_not_done(kind, resource)
    return EventResult(order=None, outcome="ignored: not a notification we act on")


def order_of_resource(resource: dict) -> Order | None:
    number = resource.get("out_trade_no")
    if not isinstance(number, str) or not number:
        return None
    return Order.objects.filter(number=number, provider=WechatPayProvider.name).first()


def transaction_apply(resource: dict) -> EventResult:
    order = order_of_resource(resource)
    if order is None:
        return EventResult(order=None, outcome="ignored: no order of ours for this transaction")
    state = resource.get("trade_state")
    if resource.get("mchid") != settings.WECHAT_PAY_MCH_ID or resource.get("appid") not in our_app_ids():
        logger.error("WeChat Pay reported order %s for merchant %r, app %r", order.number, resource.get("mchid"), resource.get("appid"))
        return EventResult(order=order, outcome="refused: another merchant or app")
    if state in FAILED_TRADE_STATES:
        order = order_mark_failed(order_id=order.pk, reason=f"wechat: {state}")
        return EventResult(order=order, outcome=f"order {order.status}")
    if state not in PAID_TRADE_STATES:
        return EventResult(order=order, outcome=f"ignored: trade state {state!r}")
    amount = resource.get("amount") if isinstance(resource.get("amount"), dict) else {}
    try:
        if amount.get("currency") != "CNY":
            raise PaymentMismatch(f"Order {order.number} was paid in {amount.get('currency')!r}, not CNY.")
        if type(amount.get("total")) is not int:
            raise PaymentMismatch(f"Order {order.number} has no total in WeChat Pay's record.")
        _, activated = order_mark_paid(order_id=order.pk, amount_fen=amount["total"], reference=str(resource.get("transaction_id") or "")[:200])
    except PaymentMismatch as error:
        # WeChat resending the notification would not change it; an editor settles it from the event log.
        logger.error("WeChat Pay payment not applied: %s", error)
        return EventResult(order=order, outcome=f"refused: {error}")
    return EventResult(order=order, outcome="activated" if activated else "already paid")


def refund_order(resource: dict) -> Order | None:
    if resource.get("mchid") != settings.WECHAT_PAY_MCH_ID:
        return None
    return order_of_resource(resource)


def refund_succeeded(resource: dict) -> EventResult:
    order = refund_order(resource)
    if order is None:
        return EventResult(order=None, outcome="ignored: no order of ours for this refund")
    return refund_apply(order, resource)


def refund_not_done(kind: str, resource: dict) -> EventResult:
    """The money did not go back (ABNORMAL: the reader's account refused it; CLOSED: the refund was
    withdrawn), so the reader keeps what they paid for; an editor settles ABNORMAL in WeChat Pay."""
    order = refund_order(resource)
    if kind == "REFUND.ABNORMAL":
        logger.error("A WeChat Pay refund for order %s is abnormal; settle it in the merchant platform", resource.get("out_trade_no"))
    return EventResult(order=order, outcome=f"kept: {kind.lower()}, access unchanged")
