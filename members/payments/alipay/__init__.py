"""Alipay (支付宝): 电脑网站支付 on computers and 手机网站支付 on phones, through the open platform's
gateway with RSA2 keys (public key mode). Access opens only on Alipay's signature: its notification
at /webhooks/alipay/, or its signed answer when we ask (the return page, `alipay_reconcile`).

client: signing, verifying and the one network call · provider: the checkout choice and the signed
cashier address · notifications: verifying and applying notifications · refunds · orders: query and
close.

A maintained SDK was considered: python-alipay-sdk brings pycryptodomex and pyOpenSSL beside the
`cryptography` we already use, for one SHA256withRSA signature each way, and Alipay's official
SDK depends on pycryptodome and the pure-Python `rsa` package. Signing here is `cryptography`'s.
"""

from members.payments.alipay.client import AlipayError, AlipayRefused
from members.payments.alipay.notifications import NotificationError, event_type_of, notification_from_body, notification_handle
from members.payments.alipay.orders import CheckedTooRecently, order_check, order_expire, order_sync, pending_orders_created_before
from members.payments.alipay.provider import AlipayProvider, OrderExpired, expires_at, order_is_expired, pay_url

__all__ = [
    "AlipayError",
    "AlipayProvider",
    "AlipayRefused",
    "CheckedTooRecently",
    "NotificationError",
    "OrderExpired",
    "event_type_of",
    "expires_at",
    "notification_from_body",
    "notification_handle",
    "order_check",
    "order_expire",
    "order_is_expired",
    "order_sync",
    "pay_url",
    "pending_orders_created_before",
]
