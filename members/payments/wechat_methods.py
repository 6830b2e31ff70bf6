"""Which way of paying with WeChat Pay fits the reader's device, and the appids orders are made
under. Apart from the rest of WeChat Pay so that the provider, the JSAPI and H5 modules and the
pages can all ask without importing each other."""

from enum import StrEnum

from django.conf import settings

from members.payments.devices import Device


class Method(StrEnum):
    NATIVE = "native"  # a QR code on a computer's screen, scanned with WeChat on a phone
    H5 = "h5"  # a phone's browser hands over to WeChat through WeChat Pay's cashier page
    JSAPI = "jsapi"  # WeChat's own browser opens the payment sheet over our page


def method_on(device: Device) -> Method | None:
    """How a reader on this device pays, or None where WeChat Pay cannot be offered. A phone never
    gets a QR code: the phone showing it cannot scan it."""
    if device == Device.DESKTOP:
        return Method.NATIVE
    if device == Device.PHONE:
        # H5 is a product WeChat Pay activates on its own; merchants without it say so.
        return Method.H5 if settings.WECHAT_PAY_H5 else None
    return Method.JSAPI if jsapi_app_id() else None


def jsapi_app_id() -> str:
    """The 公众号 that JSAPI orders are made under (bound to the merchant in WeChat Pay, and the
    reader's openid is for it), or "" when none is configured. When the merchant's own appid is
    that 公众号, both settings hold the same id."""
    return settings.WECHAT_MP_APP_ID if settings.WECHAT_MP_APP_ID and settings.WECHAT_MP_SECRET else ""


def our_app_ids() -> set[str]:
    """Every appid our orders are made under: a payment to any other is not ours."""
    return {app_id for app_id in (settings.WECHAT_PAY_APP_ID, settings.WECHAT_MP_APP_ID) if app_id}
