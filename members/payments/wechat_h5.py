"""WeChat Pay from a phone's browser outside WeChat (H5): we place the order with the reader's
address and get an h5_url on WeChat Pay's cashier (wx.tenpay.com), which opens WeChat to pay and
then sends the reader back to the `redirect_url` we append
(https://pay.weixin.qq.com/doc/v3/merchant/4012791834). Coming back says nothing about the
payment: the return page asks WeChat Pay (wechat.order_check) before anything opens.

WeChat Pay checks that the reader arrives at the cashier from the H5 domain registered in its
console (the Referer our redirect carries) and that redirect_url is on it too.
"""

from urllib.parse import quote, urlsplit

from django.conf import settings

from members.payments.wechat import order_fields, order_place, prepared
from members.payments.wechat_api import WechatPayError

H5_ORDER_PATH = "/v3/pay/transactions/h5"
# An h5_url works for five minutes; a visit after that asks again (same order, same answer).
H5_URL_SECONDS = 4 * 60


def h5_url_for(order, payer_ip: str) -> str:
    """The cashier page for this order. The payer's address may change between visits without
    WeChat Pay treating it as another order."""
    return prepared(order, "h5-url", lambda: h5_order_create(order, payer_ip), H5_URL_SECONDS)


def h5_order_create(order, payer_ip: str) -> str:
    payload = {
        **order_fields(order, settings.WECHAT_PAY_APP_ID),
        "scene_info": {"payer_client_ip": payer_ip, "h5_info": {"type": "Wap"}},
    }
    h5_url = order_place(order, H5_ORDER_PATH, payload, "h5_url")
    if urlsplit(h5_url).scheme != "https":
        raise WechatPayError(f"WeChat Pay's h5_url for order {order.number} is not an https address.")
    return h5_url


def cashier_url(h5_url: str, return_url: str) -> str:
    """The h5_url with the page WeChat sends the reader back to, as WeChat Pay asks: appended,
    quoted whole."""
    return f"{h5_url}{'&' if '?' in h5_url else '?'}redirect_url={quote(return_url, safe='')}"
