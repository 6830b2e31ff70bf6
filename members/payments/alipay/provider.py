"""Alipay as a checkout choice: on a computer the reader pays on Alipay's cashier page (电脑网站支付,
alipay.trade.page.pay, with a QR code for the Alipay app or an Alipay account login); on a phone
the same request opens the Alipay app or its mobile page (手机网站支付, alipay.trade.wap.pay).
WeChat's browser refuses to open Alipay's pages, so Alipay is not offered there.

The browser only carries our signed request to Alipay's gateway. Nothing the browser brings back
opens anything: access opens on Alipay's signed notification, or its signed answer when we ask.
"""

import re
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.payments.alipay.client import AlipayError, alipay_time, gateway_url, signed_request
from members.payments.base import ProviderStart
from members.payments.devices import Device, device_of

PAGE_PAY = "alipay.trade.page.pay"
WAP_PAY = "alipay.trade.wap.pay"
# Like WeChat Pay's Native orders: Alipay refuses payment after time_expire, so a cashier page left
# open for a day cannot take money for an order we have given up on.
PAYABLE_FOR = timedelta(hours=2)
# Alipay's subject must not carry these; they are replaced by spaces.
SUBJECT_FORBIDDEN = str.maketrans({"/": " ", "=": " ", "&": " "})
# Yuan as Alipay writes them: at most two decimals. Anything else is not an amount we can be exact about.
YUAN = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")


class OrderExpired(AlipayError):
    """The order is past the time Alipay accepts payment for it."""


class AlipayProvider:
    name = "alipay"
    label = _("Alipay")

    def is_enabled(self) -> bool:
        return all((settings.ALIPAY_APP_ID, settings.ALIPAY_PRIVATE_KEY_PATH, settings.ALIPAY_PUBLIC_KEY_PATH))

    def offered_on(self, device) -> bool:
        return device != Device.WECHAT

    def label_on(self, device) -> str:
        return self.label

    def start(self, order, request) -> ProviderStart:
        return ProviderStart(redirect_url=pay_url(order, device_of(request)))


def expires_at(order):
    return order.created_at + PAYABLE_FOR


def order_is_expired(order, now=None) -> bool:
    return expires_at(order) <= (now or timezone.now())


def pay_url(order, device) -> str:
    """The gateway address that shows the reader Alipay's cashier for this order. Signed afresh
    each time; Alipay knows the order by its number, so paying it twice is impossible."""
    if (expires_at(order) - timezone.now()).total_seconds() < 60:
        raise OrderExpired(f"Order {order.number} could only be paid until {timezone.localtime(expires_at(order)):%Y-%m-%d %H:%M}.")
    on_phone = device != Device.DESKTOP
    biz_content = {
        "out_trade_no": order.number,
        "total_amount": amount_of(order.amount_fen),
        "subject": f"{order.column.title} · {order.get_plan_kind_display()}".translate(SUBJECT_FORBIDDEN)[:256],
        "product_code": "QUICK_WAP_WAY" if on_phone else "FAST_INSTANT_TRADE_PAY",
        "time_expire": alipay_time(expires_at(order)),
    }
    if on_phone:
        # Where Alipay's mobile page sends a reader who gives up.
        biz_content["quit_url"] = site_url(order.get_absolute_url())
    params = signed_request(
        WAP_PAY if on_phone else PAGE_PAY,
        biz_content,
        notify_url=site_url(reverse("members:alipay-notify")),
        return_url=site_url(reverse("members:alipay-return", kwargs={"number": order.number})),
    )
    return gateway_url(params)


def amount_of(fen: int) -> str:
    """Fen as Alipay's total_amount: 9900 → "99.00"."""
    return f"{fen // 100}.{fen % 100:02d}"


def fen_of(yuan) -> int | None:
    """Alipay's yuan as fen: "99.00" → 9900; None for anything that is not an exact amount."""
    if not isinstance(yuan, str) or not YUAN.fullmatch(yuan):
        return None
    return int(Decimal(yuan) * 100)


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path
