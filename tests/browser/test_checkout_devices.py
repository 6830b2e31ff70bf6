"""The checkout on three devices, each paying with WeChat Pay the way it can: inside WeChat (390 px)
the payment sheet opens over our page, a phone's browser (390 px) goes to WeChat's cashier and comes
back, a computer (1280 px) shows the QR code. No phone ever sees a QR code.

WeChat Pay and WeChat's authorization server are replaced in-process (the live server runs in this
process); the pages WeChat would serve (its authorize page, its H5 cashier) are answered by the
browser's router, and WeChat's in-app bridge by a stand-in script. Screenshots of every step land in
artifacts/screenshots/checkout-<device>-NN-<step>.png.
"""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from csp.constants import SELF
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from members.models import Membership, Order
from members.payments import wechat_openid
from members.payments.wechat_h5 import H5_ORDER_PATH
from members.payments.wechat_jsapi import JSAPI_ORDER_PATH
from tests.browser.test_purchase import assert_fits, log_in
from tests.browser.test_reader_journey import Screenshots, make_reading_column
from tests.factories import PAID_PARAGRAPHS, make_user
from tests.members_tests.test_payment_devices import DESKTOP_UA, MP_APP_ID, PHONE_UA, WECHAT_UA
from tests.members_tests.test_wechat import (  # noqa: F401 (fixtures)
    merchant_key,
    platform_certificate,
    platform_key,
    transaction_resource,
    wechat_keys,
    wechat_pay,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPENID = "oMP0000000000000000000reader"
PREPAY_ID = "wx201410272009395522657a690389285100"
H5_URL = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2016121516420242444321ca0631331346&package=1405458241"
# WeChat's in-app bridge, as far as a payment needs it: it keeps what it was asked and answers with
# the outcome the test chose (the reader paying, unless told otherwise).
BRIDGE = """
window.wechatPayCalls = [];
window.wechatPayOutcome = "get_brand_wcpay_request:ok";
window.WeixinJSBridge = {
  invoke: function (name, request, done) {
    window.wechatPayCalls.push({name: name, request: request});
    window.setTimeout(function () { done({err_msg: window.wechatPayOutcome}); }, 50);
  }
};
"""


@pytest.fixture
def wechat_pay_everywhere(settings, live_server, monkeypatch, tmp_path):
    """WeChat Pay with a 公众号 and H5, Alipay beside it, the CSP that settings.py then builds, and
    WeChat's authorization server answering every code with the reader's openid."""
    settings.SITE_URL = live_server.url
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "app.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    alipay_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # Alipay's own, not ours
    (tmp_path / "alipay.pem").write_bytes(alipay_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    settings.ALIPAY_APP_ID, settings.ALIPAY_PRIVATE_KEY_PATH, settings.ALIPAY_PUBLIC_KEY_PATH = (
        "2021000000000000",
        str(tmp_path / "app.pem"),
        str(tmp_path / "alipay.pem"),
    )
    settings.WECHAT_MP_APP_ID = MP_APP_ID
    settings.WECHAT_MP_SECRET = "official-account-secret"
    settings.WECHAT_PAY_H5 = True
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    # As settings.py builds it with WeChat Pay configured (test_wechat_pages checks that it does).
    form_action = [SELF, "https://wx.tenpay.com", "https://open.weixin.qq.com"]
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": {**directives, "form-action": form_action}}
    monkeypatch.setattr(wechat_openid, "oauth_http", lambda url: {"access_token": "ACCESS", "openid": OPENID, "scope": "snsapi_base"})


@pytest.fixture
def device_page(browser):
    """device_page(width, height, user_agent, mobile) -> a page in a fresh context posing as that device."""
    contexts = []

    def open_device(width, height, user_agent, *, mobile):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            user_agent=user_agent,
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=1,
            locale="zh-CN",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_device
    for context in contexts:
        context.close()


def translated(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


def exactly(text: str):
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def open_checkout(page, live_server, plan, paid, reader):
    checkout = f"{reverse('members:checkout', args=[plan.pk])}?next={paid.get_absolute_url()}"
    log_in(page, f"{live_server.url}/accounts/login/?next={checkout}", reader)
    expect(page.locator(".checkout-form")).to_be_visible()


def assert_no_qr_code(page):
    expect(page.locator(".wechat-qr")).to_have_count(0)
    expect(page.locator("main svg")).to_have_count(0)


def assert_reads_in_full(page, live_server, paid):
    expect(page).to_have_url(live_server.url + paid.get_absolute_url())
    for sentence in PAID_PARAGRAPHS:
        expect(page.get_by_text(sentence)).to_be_visible()


def test_inside_wechat_the_payment_sheet_opens_over_the_page(live_server, device_page, screenshot_dir, wechat_pay_everywhere, wechat_pay):
    column, paid = make_reading_column()
    reader = make_user(email="wechat-reader@example.com")
    page = device_page(390, 844, WECHAT_UA, mobile=True)
    page.context.add_init_script(BRIDGE)
    authorizations = []

    def authorize(route):
        # WeChat's silent authorization comes straight back with a code and our state.
        query = dict(parse_qsl(urlsplit(route.request.url).query))
        authorizations.append(query)
        route.fulfill(status=302, headers={"Location": f"{query['redirect_uri']}?code=CODE123&state={query['state']}"})

    page.context.route("https://open.weixin.qq.com/**", authorize)
    wechat_pay.on("POST", JSAPI_ORDER_PATH, {"prepay_id": PREPAY_ID})
    shots = Screenshots(page, screenshot_dir, "checkout-wechat-390")

    open_checkout(page, live_server, column.plans.get(kind="annual"), paid, reader)
    expect(page.locator(".checkout-form__method--wechat")).to_have_text(exactly(translated("WeChat Pay")))
    expect(page.locator("input[value=alipay]")).to_have_count(0)  # WeChat's browser blocks Alipay
    assert_no_qr_code(page)
    assert_fits(page)
    shots.take("checkout")

    page.check("input[value=wechat]")
    page.click(".checkout-form__pay")
    button = page.locator("#wechat-pay-button")
    expect(button).to_be_visible()
    order = Order.objects.get(user=reader)
    assert [query["scope"] for query in authorizations] == ["snsapi_base"] and authorizations[0]["appid"] == MP_APP_ID
    # The authorize page's #wechat_redirect rides along the redirects back, as browsers keep a fragment.
    assert page.url.partition("#")[0] == live_server.url + reverse("members:wechat-pay-jsapi", args=[order.number])
    assert_no_qr_code(page)
    assert_fits(page)
    shots.take("pay-button")

    page.evaluate("window.wechatPayOutcome = 'get_brand_wcpay_request:cancel'")
    button.click()
    expect(page.locator("#wechat-pay-message")).to_have_text(button.get_attribute("data-cancelled"))
    expect(button).to_be_enabled()
    (call,) = page.evaluate("window.wechatPayCalls")
    assert call["name"] == "getBrandWCPayRequest" and call["request"]["package"] == f"prepay_id={PREPAY_ID}"
    assert call["request"]["appId"] == MP_APP_ID and call["request"]["signType"] == "RSA" and call["request"]["paySign"]
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    shots.take("cancelled")

    wechat_pay.on("GET", f"/v3/pay/transactions/out-trade-no/{order.number}", transaction_resource(order, appid=MP_APP_ID, trade_type="JSAPI"))
    page.evaluate("window.wechatPayOutcome = 'get_brand_wcpay_request:ok'")
    button.click()
    assert_reads_in_full(page, live_server, paid)
    shots.take("paid")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID and Membership.objects.get(user=reader).is_active()


def test_a_phone_browser_pays_through_wechats_cashier_and_comes_back(live_server, device_page, screenshot_dir, wechat_pay_everywhere, wechat_pay):
    column, paid = make_reading_column()
    reader = make_user(email="phone-reader@example.com")
    page = device_page(390, 844, PHONE_UA, mobile=True)
    cashier_visits = []

    def cashier(route):
        cashier_visits.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>WeChat Pay cashier</title><h1>WeChat Pay cashier (stand-in)</h1>")

    page.context.route("https://wx.tenpay.com/**", cashier)
    wechat_pay.on("POST", H5_ORDER_PATH, {"h5_url": H5_URL})
    shots = Screenshots(page, screenshot_dir, "checkout-phone-390")

    open_checkout(page, live_server, column.plans.get(kind="annual"), paid, reader)
    expect(page.locator(".checkout-form__method--wechat")).to_have_text(exactly(translated("WeChat Pay")))
    expect(page.locator(".checkout-form__method--alipay")).to_have_text(exactly(translated("Alipay")))  # 手机网站支付
    assert_no_qr_code(page)
    assert_fits(page)
    shots.take("checkout")

    page.check("input[value=wechat]")
    page.click(".checkout-form__pay")
    expect(page.get_by_role("heading", name="WeChat Pay cashier (stand-in)")).to_be_visible()
    order = Order.objects.get(user=reader)
    (visit,) = cashier_visits
    return_url = live_server.url + reverse("members:wechat-pay-return", args=[order.number])
    assert visit.startswith(H5_URL + "&redirect_url=") and dict(parse_qsl(urlsplit(visit).query))["redirect_url"] == return_url

    # WeChat sends the reader back before WeChat Pay has confirmed anything.
    query_path = f"/v3/pay/transactions/out-trade-no/{order.number}"
    wechat_pay.on("GET", query_path, transaction_resource(order, trade_state="NOTPAY", trade_type="MWEB"))
    page.goto(return_url)
    expect(page.locator("#wechat-pay-check button")).to_be_visible()
    expect(page.locator("#wechat-pay-again")).to_be_visible()
    assert_no_qr_code(page)
    assert_fits(page)
    shots.take("return-page")
    # The page polls by itself; once WeChat Pay confirms, it moves on to the article.
    wechat_pay.on("GET", query_path, transaction_resource(order, trade_type="MWEB"))
    assert_reads_in_full(page, live_server, paid)
    shots.take("paid")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID and Membership.objects.get(user=reader).is_active()


def test_a_computer_shows_the_qr_code(live_server, device_page, screenshot_dir, wechat_pay_everywhere, wechat_pay):
    column, paid = make_reading_column()
    reader = make_user(email="desktop-reader@example.com")
    page = device_page(1280, 900, DESKTOP_UA, mobile=False)
    wechat_pay.on("POST", "/v3/pay/transactions/native", {"code_url": "weixin://wxpay/bizpayurl?pr=abcdefg"})
    shots = Screenshots(page, screenshot_dir, "checkout-desktop-1280")

    open_checkout(page, live_server, column.plans.get(kind="annual"), paid, reader)
    expect(page.locator(".checkout-form__method--wechat")).to_have_text(exactly(translated("WeChat Pay (scan a QR code)")))
    expect(page.locator(".checkout-form__method--alipay")).to_have_text(exactly(translated("Alipay")))  # 电脑网站支付
    shots.take("checkout")

    page.check("input[value=wechat]")
    page.click(".checkout-form__pay")
    expect(page.locator(".wechat-qr svg")).to_be_visible()
    order = Order.objects.get(user=reader)
    shots.take("qr-code")

    wechat_pay.on("GET", f"/v3/pay/transactions/out-trade-no/{order.number}", transaction_resource(order))
    assert_reads_in_full(page, live_server, paid)
    shots.take("paid")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
