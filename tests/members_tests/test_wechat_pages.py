"""WeChat Pay the way each device pays: the payment sheet inside WeChat (JSAPI, with the openid from
the WeChat sign-in or a silent authorization), WeChat's cashier from a phone's browser (H5), and
never a QR code on a phone. Keys are generated per run; WeChat is replaced, never reached."""

import json
import os
import subprocess
import sys
import uuid
from base64 import b64decode
from datetime import datetime
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.translation import gettext

from members.models import Membership, Order, PaymentEvent
from members.payments import wechat, wechat_openid
from members.payments.wechat_h5 import H5_ORDER_PATH
from members.payments.wechat_jsapi import JSAPI_ORDER_PATH
from members.services import order_create
from tests.factories import make_user
from tests.members_tests.test_payment_devices import DESKTOP_UA, MP_APP_ID, PHONE_UA, USER_AGENTS, WECHAT_UA
from tests.members_tests.test_wechat import (  # noqa: F401 (fixtures)
    APP_ID,
    MCH_ID,
    merchant_key,
    notification,
    notify,
    order,
    platform_certificate,
    platform_key,
    transaction_resource,
    wechat_keys,
    wechat_pay,
)

pytestmark = pytest.mark.django_db

MP_SECRET = "official-account-secret"
OPENID = "oMP0000000000000000000reader"
PREPAY_ID = "wx201410272009395522657a690389285100"
# The real one, kept before the autouse fixture replaces it.
real_oauth_http = wechat_openid.oauth_http
H5_URL = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016121516420242444321ca0631331346&package=1405458241"


@pytest.fixture
def official_account(settings):
    settings.WECHAT_MP_APP_ID = MP_APP_ID
    settings.WECHAT_MP_SECRET = MP_SECRET


class FakeOauth:
    """WeChat's authorization server: one canned answer, every URL asked kept."""

    def __init__(self):
        self.urls, self.answer = [], {"access_token": "ACCESS", "expires_in": 7200, "openid": OPENID, "scope": "snsapi_base"}

    def __call__(self, url):
        self.urls.append(url)
        return self.answer


@pytest.fixture(autouse=True)
def oauth(monkeypatch):
    fake = FakeOauth()
    monkeypatch.setattr(wechat_openid, "oauth_http", fake)
    return fake


def pay_url(order, name="members:wechat-pay"):
    return reverse(name, args=[order.number])


def query_path(order):
    return f"/v3/pay/transactions/out-trade-no/{order.number}"


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def authorize(client, order):
    """Open the pay page in WeChat and follow it to WeChat's authorize page; its query, parsed."""
    assert client.get(pay_url(order), headers={"User-Agent": WECHAT_UA})["Location"] == pay_url(order, "members:wechat-pay-jsapi")
    location = client.get(pay_url(order, "members:wechat-pay-jsapi"), headers={"User-Agent": WECHAT_UA})["Location"]
    address, _, fragment = location.partition("#")
    assert address.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?") and fragment == "wechat_redirect"
    return parse_qsl(urlsplit(address).query)


def come_back(client, order, **query):
    return client.get(pay_url(order, "members:wechat-pay-openid"), query, headers={"User-Agent": WECHAT_UA})


def bridge_request_of(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="wechat-pay-request" type="application/json">') + len('<script id="wechat-pay-request" type="application/json">')
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def signed_in(client, reader):
    client.force_login(reader)
    return client


# Inside WeChat (JSAPI)


def test_in_wechat_a_reader_without_an_openid_is_sent_to_a_silent_authorization(signed_in, order, official_account, wechat_pay):
    query = authorize(signed_in, order)
    assert [name for name, _ in query] == ["appid", "redirect_uri", "response_type", "scope", "state"], "WeChat reads them in this order"
    fields = dict(query)
    assert fields["appid"] == MP_APP_ID and fields["scope"] == "snsapi_base" and fields["response_type"] == "code"
    assert fields["redirect_uri"] == "https://zhuanlan.example.com" + pay_url(order, "members:wechat-pay-openid")
    assert len(fields["state"]) == 32
    assert wechat_pay.requests == [], "nothing is placed at WeChat Pay before the payer is known"


def test_the_authorization_gives_the_openid_and_the_page_a_signed_pay_button(signed_in, order, official_account, wechat_pay, oauth, merchant_key):
    wechat_pay.on("POST", JSAPI_ORDER_PATH, {"prepay_id": PREPAY_ID})
    state = dict(authorize(signed_in, order))["state"]
    response = come_back(signed_in, order, code="CODE123", state=state)
    assert response["Location"] == pay_url(order, "members:wechat-pay-jsapi")
    (asked,) = oauth.urls
    assert asked.startswith("https://api.weixin.qq.com/sns/oauth2/access_token?")
    assert dict(parse_qsl(urlsplit(asked).query)) == {"appid": MP_APP_ID, "secret": MP_SECRET, "code": "CODE123", "grant_type": "authorization_code"}

    page = signed_in.get(pay_url(order, "members:wechat-pay-jsapi"), headers={"User-Agent": WECHAT_UA})
    assert page.status_code == 200 and "<svg" not in page.content.decode()
    assert 'id="wechat-pay-button"' in page.content.decode() and "no-store" in page["Cache-Control"]
    (placed,) = wechat_pay.sent("POST", JSAPI_ORDER_PATH)
    body = json.loads(placed.data)
    assert body["appid"] == MP_APP_ID and body["mchid"] == MCH_ID and body["payer"] == {"openid": OPENID}
    assert body["out_trade_no"] == order.number and body["amount"] == {"total": 9900, "currency": "CNY"}

    bridge = bridge_request_of(page)
    assert bridge["appId"] == MP_APP_ID and bridge["package"] == f"prepay_id={PREPAY_ID}" and bridge["signType"] == "RSA"
    message = f"{MP_APP_ID}\n{bridge['timeStamp']}\n{bridge['nonceStr']}\n{bridge['package']}\n".encode()
    merchant_key.public_key().verify(b64decode(bridge["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())

    signed_in.get(pay_url(order, "members:wechat-pay-jsapi"), headers={"User-Agent": WECHAT_UA})
    assert len(wechat_pay.sent("POST", JSAPI_ORDER_PATH)) == 1, "the prepay_id is remembered"
    assert len(oauth.urls) == 1, "the openid is kept in the session"
    assert not Membership.objects.exists() and Order.objects.get().status == Order.Status.PENDING


def test_a_reader_signed_in_with_wechat_pays_without_another_authorization(signed_in, reader, order, official_account, wechat_pay, oauth):
    SocialAccount.objects.create(
        user=reader, provider="weixin", uid="unionid-1", extra_data={"openids": {"wxwebsiteapp000001": "oWeb", MP_APP_ID: "oSignedIn"}}
    )
    wechat_pay.on("POST", JSAPI_ORDER_PATH, {"prepay_id": PREPAY_ID})
    page = signed_in.get(pay_url(order, "members:wechat-pay-jsapi"), headers={"User-Agent": WECHAT_UA})
    assert page.status_code == 200 and oauth.urls == []
    assert json.loads(wechat_pay.sent("POST", JSAPI_ORDER_PATH)[0].data)["payer"] == {"openid": "oSignedIn"}


def test_a_forged_or_replayed_authorization_return_charges_nothing(signed_in, order, official_account, wechat_pay, oauth):
    state = dict(authorize(signed_in, order))["state"]
    forged = come_back(signed_in, order, code="CODE123", state="0" * 32)
    assert forged["Location"] == order.get_absolute_url()
    assert messages_of(forged) == [gettext("WeChat did not confirm your account for this payment. Nothing was charged; please try again.")]
    assert come_back(signed_in, order, code="CODE123", state=state)["Location"] == order.get_absolute_url(), "a failed return uses the state up"
    assert oauth.urls == [] and wechat_pay.requests == []

    state = dict(authorize(signed_in, order))["state"]
    assert come_back(signed_in, order, code="CODE123", state=state)["Location"] == pay_url(order, "members:wechat-pay-jsapi")
    assert come_back(signed_in, order, code="CODE123", state=state)["Location"] == order.get_absolute_url(), "single use"
    assert len(oauth.urls) == 1


def test_an_authorization_started_for_another_order_does_not_count(signed_in, reader, order, column, official_account, oauth):
    other = order_create(user=reader, plan=column.plans.get(), provider="wechat", checkout_token=uuid.uuid4())
    state = dict(authorize(signed_in, order))["state"]
    assert come_back(signed_in, other, code="CODE123", state=state)["Location"] == other.get_absolute_url()
    assert oauth.urls == []


@pytest.mark.parametrize(
    "answer",
    [{"errcode": 40029, "errmsg": "invalid code"}, {"openid": OPENID, "is_snapshotuser": 1}, {"access_token": "ACCESS"}],
    ids=["refused code", "snapshot page", "no openid"],
)
def test_when_wechat_gives_no_usable_openid_the_reader_is_told_and_nothing_is_charged(signed_in, order, official_account, wechat_pay, oauth, answer):
    oauth.answer = answer
    state = dict(authorize(signed_in, order))["state"]
    response = come_back(signed_in, order, code="CODE123", state=state)
    assert response["Location"] == order.get_absolute_url()
    assert messages_of(response) == [gettext("WeChat did not confirm your account for this payment. Nothing was charged; please try again.")]
    assert wechat_openid.SESSION_OPENIDS not in signed_in.session and wechat_pay.requests == []


def test_wechats_authorization_server_being_unreachable_is_an_error_without_the_secret(monkeypatch):
    def unreachable(url, timeout):
        raise OSError(f"connection refused for {url}")

    monkeypatch.setattr(wechat_openid.urllib.request, "urlopen", unreachable)
    with pytest.raises(wechat_openid.OpenidError) as error:
        real_oauth_http(f"{wechat_openid.ACCESS_TOKEN_URL}?secret={MP_SECRET}")
    assert MP_SECRET not in str(error.value) and error.value.__cause__ is None


def test_inside_wechat_without_an_official_account_wechat_pay_is_not_offered_nor_a_qr_code_shown(signed_in, order, column, wechat_pay):
    form = signed_in.get(reverse("members:checkout", args=[column.plans.get().pk]), headers={"User-Agent": WECHAT_UA}).context["form"]
    assert "wechat" not in dict(form.fields["provider"].choices)
    response = signed_in.get(pay_url(order), headers={"User-Agent": WECHAT_UA})
    assert response["Location"] == order.get_absolute_url()
    assert messages_of(response) == [
        gettext("WeChat Pay cannot be used in this browser. Nothing was charged: open this order in WeChat or on a computer to pay.")
    ]
    assert wechat_pay.requests == []


def test_the_jsapi_page_outside_wechat_goes_back_to_the_way_that_device_pays(signed_in, order, official_account, wechat_pay):
    assert signed_in.get(pay_url(order, "members:wechat-pay-jsapi"), headers={"User-Agent": DESKTOP_UA})["Location"] == pay_url(order)
    assert wechat_pay.requests == []


def test_wechat_for_windows_pays_in_the_page_too(signed_in, order, official_account):
    assert signed_in.get(pay_url(order), headers={"User-Agent": USER_AGENTS["WeChat for Windows"]})["Location"] == pay_url(order, "members:wechat-pay-jsapi")


def test_i_have_paid_inside_wechat_comes_back_to_the_pay_button(signed_in, order, official_account, wechat_pay):
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY", appid=MP_APP_ID))
    response = signed_in.post(pay_url(order), headers={"User-Agent": WECHAT_UA})
    assert response["Location"] == pay_url(order, "members:wechat-pay-jsapi")
    assert Order.objects.get().status == Order.Status.PENDING


def test_a_payment_under_the_official_account_opens_the_column(notify, order, official_account):
    assert notify(notification(transaction_resource(order, appid=MP_APP_ID, trade_type="JSAPI"))).status_code == 204
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_a_payment_under_an_official_account_we_no_longer_use_grants_nothing(notify, order):
    notify(notification(transaction_resource(order, appid=MP_APP_ID, trade_type="JSAPI")))
    assert not Membership.objects.exists() and PaymentEvent.objects.get().outcome.startswith("refused")


# Phone browsers (H5)


def test_a_phone_browser_goes_to_wechats_cashier_and_comes_back_to_our_page(signed_in, order, wechat_pay):
    wechat_pay.on("POST", H5_ORDER_PATH, {"h5_url": H5_URL})
    response = signed_in.get(pay_url(order), headers={"User-Agent": PHONE_UA}, REMOTE_ADDR="203.0.113.9")
    return_url = "https://zhuanlan.example.com" + pay_url(order, "members:wechat-pay-return")
    assert response.status_code == 302 and response["Location"] == f"{H5_URL}&redirect_url={quote(return_url, safe='')}"
    (placed,) = wechat_pay.requests
    assert placed.full_url == "https://api.mch.weixin.qq.com/v3/pay/transactions/h5"
    body = json.loads(placed.data)
    assert body["scene_info"] == {"payer_client_ip": "203.0.113.9", "h5_info": {"type": "Wap"}}
    assert body["appid"] == APP_ID and body["out_trade_no"] == order.number and body["amount"] == {"total": 9900, "currency": "CNY"}
    assert datetime.fromisoformat(body["time_expire"]) == order.created_at.replace(microsecond=0) + wechat.PAYABLE_FOR
    assert wechat_pay.sent("POST", wechat.NATIVE_ORDER_PATH) == []


def test_phones_never_get_the_qr_code_even_without_h5(signed_in, order, column, wechat_pay, settings):
    settings.WECHAT_PAY_H5 = False
    form = signed_in.get(reverse("members:checkout", args=[column.plans.get().pk]), headers={"User-Agent": PHONE_UA}).context["form"]
    assert "wechat" not in dict(form.fields["provider"].choices)
    response = signed_in.get(pay_url(order), headers={"User-Agent": PHONE_UA}, follow=True)
    assert "<svg" not in response.content.decode() and response.redirect_chain[-1][0] == order.get_absolute_url()
    assert wechat_pay.requests == [] and Order.objects.get().status == Order.Status.PENDING


def test_i_have_paid_on_a_phone_waits_on_the_return_page_not_the_cashier(signed_in, order, wechat_pay):
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY"))
    response = signed_in.post(pay_url(order), headers={"User-Agent": PHONE_UA})
    assert response["Location"] == pay_url(order, "members:wechat-pay-return")
    assert wechat_pay.sent("POST", H5_ORDER_PATH) == []


def test_the_return_page_waits_for_wechat_pay_and_moves_on_once_paid(signed_in, order, notify, column):
    page = signed_in.get(pay_url(order, "members:wechat-pay-return"), headers={"User-Agent": PHONE_UA})
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" not in html
    assert f'data-wechat-pay-status="{pay_url(order, "members:wechat-pay-status")}"' in html
    assert f'action="{pay_url(order)}"' in html, "the I have paid form"
    notify(notification(transaction_resource(order)))
    assert signed_in.get(pay_url(order, "members:wechat-pay-return"), headers={"User-Agent": PHONE_UA})["Location"] == column.get_absolute_url()


def test_an_order_opened_on_a_computer_cannot_be_paid_again_on_a_phone(signed_in, order, wechat_pay):
    wechat_pay.on("POST", wechat.NATIVE_ORDER_PATH, {"code_url": "weixin://wxpay/bizpayurl?pr=abcdefg"})
    wechat_pay.on("POST", H5_ORDER_PATH, {"code": "OUT_TRADE_NO_USED", "message": "商户订单号重复"}, status=400)
    assert signed_in.get(pay_url(order), headers={"User-Agent": DESKTOP_UA}).status_code == 200
    response = signed_in.get(pay_url(order), headers={"User-Agent": PHONE_UA})
    assert response["Location"] == order.get_absolute_url()
    assert messages_of(response) == [
        gettext(
            "This order was opened for payment on another device, so WeChat Pay will not take it here. "
            "Nothing was charged: pay on that device, or start the purchase again here."
        )
    ]
    assert Order.objects.get().status == Order.Status.PENDING and not Membership.objects.exists()


def test_an_unsigned_refusal_is_not_taken_for_a_reused_order_number(signed_in, order, wechat_pay):
    wechat_pay.on("POST", H5_ORDER_PATH, {"code": "OUT_TRADE_NO_USED", "message": "商户订单号重复"}, status=400, signed=False)
    response = signed_in.get(pay_url(order), headers={"User-Agent": PHONE_UA})
    assert messages_of(response) == [gettext("The payment service is not answering. Nothing was charged; please try again.")]


# The pages' polling


def test_polling_asks_wechat_pay_at_most_every_few_seconds_and_moves_on_once_paid(signed_in, order, wechat_pay, column):
    status_url = pay_url(order, "members:wechat-pay-status")
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY"))
    first = signed_in.get(status_url)
    assert first.json() == {"status": "pending"} and "no-store" in first["Cache-Control"]
    assert signed_in.get(status_url).json() == {"status": "pending"}
    assert len(wechat_pay.requests) == 1
    wechat.cache.delete(f"wechat-pay:checked:{order.number}")
    wechat_pay.on("GET", query_path(order), transaction_resource(order))
    assert signed_in.get(status_url).json() == {"status": "paid", "url": column.get_absolute_url()}
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_polling_a_failed_order_goes_to_its_page(signed_in, order, wechat_pay):
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="CLOSED"))
    assert signed_in.get(pay_url(order, "members:wechat-pay-status")).json() == {"status": "failed", "url": order.get_absolute_url()}


def test_only_the_reader_may_poll_their_order(client, order, wechat_pay):
    client.force_login(make_user())
    assert client.get(pay_url(order, "members:wechat-pay-status")).status_code == 404
    assert wechat_pay.requests == []


# Content-Security-Policy


def form_targets(**environment) -> list[str]:
    """The form-action sources settings.py builds from this environment, in a fresh interpreter."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_WECHAT", "DJANGO_STRIPE", "DJANGO_ALIPAY"))}
    code = "import json, portal.settings as s; print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
    completed = subprocess.run([sys.executable, "-c", code], env={**env, **environment}, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def test_the_checkout_may_go_on_to_wechat_only_when_wechat_pay_is_configured():
    assert form_targets() == ["'self'"]
    configured = {"DJANGO_WECHAT_PAY_MCH_ID": MCH_ID, "DJANGO_WECHAT_MP_APP_ID": MP_APP_ID}
    assert set(form_targets(**configured)) >= {"https://wx.tenpay.com", "https://open.weixin.qq.com"}
    assert "https://wx.tenpay.com" not in form_targets(**configured, DJANGO_WECHAT_PAY_H5="0")
    assert "https://open.weixin.qq.com" not in form_targets(DJANGO_WECHAT_PAY_MCH_ID=MCH_ID)
