"""WeChat Pay inside WeChat's own browser (JSAPI): we place the order for the reader's openid under
the 公众号 and get a prepay_id; our page hands WeChat's built-in `WeixinJSBridge` the parameters
below, signed with the merchant key, and WeChat opens its payment sheet over the page
(https://pay.weixin.qq.com/doc/v3/merchant/4012791857). The sheet's outcome only tells the page
when to ask; access still opens on WeChat Pay's signed word (wechat.order_check or the notification).
"""

import secrets
import time

from members.payments.wechat import order_fields, order_place, prepared
from members.payments.wechat_api import merchant_sign
from members.payments.wechat_methods import jsapi_app_id

JSAPI_ORDER_PATH = "/v3/pay/transactions/jsapi"
# A prepay_id is good for two hours; the order's own deadline usually comes first.
PREPAY_ID_SECONDS = 110 * 60


def prepay_id_for(order, openid: str) -> str:
    """The prepay_id of this order for this payer. The openid is part of the order at WeChat Pay,
    so each payer's is remembered apart."""
    return prepared(order, f"prepay-id:{openid}", lambda: jsapi_order_create(order, openid), PREPAY_ID_SECONDS)


def jsapi_order_create(order, openid: str) -> str:
    payload = {**order_fields(order, jsapi_app_id()), "payer": {"openid": openid}}
    return order_place(order, JSAPI_ORDER_PATH, payload, "prepay_id")


def bridge_request(prepay_id: str) -> dict:
    """The parameters of `WeixinJSBridge.invoke("getBrandWCPayRequest", …)`: paySign is the merchant
    key's signature of "appId\\ntimeStamp\\nnonceStr\\npackage\\n". Made afresh for every page, as
    WeChat refuses a stale timestamp; the prepay_id stays the same."""
    app_id, timestamp, nonce, package = jsapi_app_id(), str(int(time.time())), secrets.token_hex(16), f"prepay_id={prepay_id}"
    return {
        "appId": app_id,
        "timeStamp": timestamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": merchant_sign(f"{app_id}\n{timestamp}\n{nonce}\n{package}\n"),
    }
