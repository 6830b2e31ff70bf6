"""WeChat Pay, Native (QR code), API v3: the reader scans a code shown on our page and pays in
WeChat; only the signed, encrypted payment notification activates anything.

Requests to WeChat are signed with the merchant key; notifications are verified with the platform
certificate (or platform public key) and decrypted with the APIv3 key
(https://pay.weixin.qq.com/doc/v3/merchant/4012791874).
"""

import binascii
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from base64 import b64decode, b64encode
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from members.models import Order
from members.payment_events import EventResult, order_refund_reported
from members.payments.base import ProviderStart
from members.services import PaymentMismatch, order_mark_failed, order_mark_paid

logger = logging.getLogger(__name__)

API_BASE = "https://api.mch.weixin.qq.com"
NATIVE_ORDER_PATH = "/v3/pay/transactions/native"
NOTIFICATION_TOLERANCE_SECONDS = 300
# WeChat keeps a code_url valid for two hours; ours is forgotten a little sooner.
CODE_URL_SECONDS = 110 * 60
FAILED_TRADE_STATES = {"CLOSED", "REVOKED", "PAYERROR"}


class WechatPayError(Exception):
    """WeChat Pay could not be reached or refused the request."""


class NotificationError(Exception):
    """A notification that WeChat Pay did not sign, signed too long ago, or that will not decrypt."""


class WechatPayProvider:
    name = "wechat"
    label = _("WeChat Pay (scan a QR code)")

    def is_enabled(self) -> bool:
        return all(
            (
                settings.WECHAT_PAY_MCH_ID,
                settings.WECHAT_PAY_APP_ID,
                settings.WECHAT_PAY_API_V3_KEY,
                settings.WECHAT_PAY_PRIVATE_KEY_PATH,
                settings.WECHAT_PAY_SERIAL_NO,
                settings.WECHAT_PAY_PLATFORM_CERT_PATH,
            )
        )

    def start(self, order, request) -> ProviderStart:
        return ProviderStart(redirect_url=reverse("members:wechat-pay", kwargs={"number": order.number}))


def code_url_for(order) -> str:
    """The weixin:// link the reader's QR code encodes. WeChat answers the same order number with
    the same code, so asking again after the cache forgets is harmless."""
    key = f"wechat-pay:code-url:{order.number}"
    code_url = cache.get(key)
    if code_url is None:
        code_url = native_order_create(order)
        cache.set(key, code_url, CODE_URL_SECONDS)
    return code_url


def native_order_create(order) -> str:
    body = json.dumps(
        {
            "appid": settings.WECHAT_PAY_APP_ID,
            "mchid": settings.WECHAT_PAY_MCH_ID,
            "description": f"{order.column.title} · {order.get_plan_kind_display()}"[:127],
            "out_trade_no": order.number,
            "notify_url": settings.SITE_URL.rstrip("/") + reverse("members:wechat-notify"),
            "amount": {"total": order.amount_fen, "currency": "CNY"},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    request = urllib.request.Request(
        API_BASE + NATIVE_ORDER_PATH,
        data=body.encode(),
        headers={
            "Authorization": authorization("POST", NATIVE_ORDER_PATH, body),
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        method="POST",
    )
    response = wechat_api_send(request)
    if not isinstance(response.get("code_url"), str):
        raise WechatPayError(f"No code_url in WeChat Pay's answer: {response}")
    return response["code_url"]


def wechat_api_send(request: urllib.request.Request) -> dict:
    """The one call to WeChat Pay's network; tests replace it."""
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise WechatPayError(str(error)) from error


def authorization(method: str, path: str, body: str) -> str:
    """The WECHATPAY2-SHA256-RSA2048 header: the merchant key signs method, path, time, nonce, body."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n".encode()
    signature = b64encode(merchant_private_key().sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return (
        f'WECHATPAY2-SHA256-RSA2048 mchid="{settings.WECHAT_PAY_MCH_ID}",nonce_str="{nonce}",'
        f'signature="{signature}",timestamp="{timestamp}",serial_no="{settings.WECHAT_PAY_SERIAL_NO}"'
    )


def merchant_private_key():
    return load_private_key(settings.WECHAT_PAY_PRIVATE_KEY_PATH)


@lru_cache(maxsize=4)
def load_private_key(path: str):
    with open(path, "rb") as file:
        return serialization.load_pem_private_key(file.read(), password=None)


@lru_cache(maxsize=4)
def load_platform_key(path: str, configured_serial: str) -> tuple:
    """The platform's public key and the serial WeChat names it by: a certificate carries its own
    serial; a bare public key (WeChat's newer "platform public key") uses the configured key id."""
    with open(path, "rb") as file:
        pem = file.read()
    if b"BEGIN CERTIFICATE" in pem:
        certificate = x509.load_pem_x509_certificate(pem)
        return certificate.public_key(), format(certificate.serial_number, "X")
    return serialization.load_pem_public_key(pem), configured_serial


def notification_from_request(body: bytes, headers) -> dict:
    """The notification with its resource decrypted, once its headers prove WeChat Pay sent it recently."""
    timestamp = headers.get("Wechatpay-Timestamp", "")
    nonce = headers.get("Wechatpay-Nonce", "")
    signature = headers.get("Wechatpay-Signature", "")
    serial = headers.get("Wechatpay-Serial", "")
    if not (timestamp and nonce and signature and serial) or not timestamp.isdigit():
        raise NotificationError("Wechatpay-Timestamp, -Nonce, -Signature and -Serial are all required.")
    public_key, platform_serial = load_platform_key(settings.WECHAT_PAY_PLATFORM_CERT_PATH, settings.WECHAT_PAY_PLATFORM_SERIAL)
    if platform_serial and serial.upper() != platform_serial.upper():
        raise NotificationError("Signed with a platform key we do not have.")
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    try:
        public_key.verify(b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError) as error:
        raise NotificationError("The signature does not verify.") from error
    if abs(time.time() - int(timestamp)) > NOTIFICATION_TOLERANCE_SECONDS:
        raise NotificationError("The notification is too old; this may be a replay.")
    try:
        envelope = json.loads(body)
        resource = envelope["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise NotificationError(f"Unknown algorithm {resource.get('algorithm')!r}.")
        plaintext = AESGCM(settings.WECHAT_PAY_API_V3_KEY.encode()).decrypt(
            resource["nonce"].encode(), b64decode(resource["ciphertext"]), (resource.get("associated_data") or "").encode()
        )
        decrypted = json.loads(plaintext)
        notification = {key: envelope[key] for key in ("id", "event_type")}
    except (InvalidTag, KeyError, TypeError, AttributeError, binascii.Error, ValueError) as error:
        raise NotificationError("The resource does not decrypt with the APIv3 key.") from error
    notification.update(create_time=envelope.get("create_time", ""), summary=envelope.get("summary", ""), resource=decrypted)
    return notification


def notification_handle(notification: dict) -> EventResult:
    """Apply one verified notification. Called inside the transaction that records it."""
    kind = notification["event_type"]
    resource = notification["resource"]
    if kind == "TRANSACTION.SUCCESS":
        return transaction_paid(resource)
    if kind == "REFUND.SUCCESS":
        return refund_succeeded(resource)
    return EventResult(order=None, outcome="ignored: not a notification we act on")


def order_of_resource(resource: dict) -> Order | None:
    if resource.get("mchid") != settings.WECHAT_PAY_MCH_ID or not resource.get("out_trade_no"):
        return None
    return Order.objects.filter(number=resource["out_trade_no"], provider=WechatPayProvider.name).first()


def transaction_paid(resource: dict) -> EventResult:
    order = order_of_resource(resource)
    if order is None:
        return EventResult(order=None, outcome="ignored: no order of ours for this transaction")
    state = resource.get("trade_state")
    if state in FAILED_TRADE_STATES:
        order = order_mark_failed(order_id=order.pk, reason=f"wechat: {state}")
        return EventResult(order=order, outcome=f"order {order.status}")
    amount = resource.get("amount") or {}
    try:
        if state != "SUCCESS":
            raise PaymentMismatch(f"Order {order.number} is in trade state {state!r}, not SUCCESS.")
        if resource.get("appid") != settings.WECHAT_PAY_APP_ID or amount.get("currency", "CNY") != "CNY":
            raise PaymentMismatch(f"Order {order.number} was paid to another app or in {amount.get('currency')!r}.")
        if not isinstance(amount.get("total"), int):
            raise PaymentMismatch(f"Order {order.number} has no total in the notification.")
        _, activated = order_mark_paid(
            order_id=order.pk, amount_fen=amount["total"], reference=resource.get("transaction_id") or ""
        )
    except PaymentMismatch as error:
        # WeChat resending the notification would not change it; an editor settles it from the event log.
        logger.error("WeChat Pay payment not applied: %s", error)
        return EventResult(order=order, outcome=f"refused: {error}")
    return EventResult(order=order, outcome="activated" if activated else "already paid")


def refund_succeeded(resource: dict) -> EventResult:
    order = order_of_resource(resource)
    if order is None:
        return EventResult(order=None, outcome="ignored: no order of ours for this refund")
    amount = resource.get("amount") or {}
    if resource.get("refund_status") != "SUCCESS" or amount.get("refund") != amount.get("total"):
        return EventResult(order=order, outcome="kept: partial or unfinished refund, access unchanged")
    order = order_refund_reported(order_id=order.pk)
    return EventResult(order=order, outcome="refunded")
