"""Alipay (电脑网站支付 / 手机网站支付): only a notification signed with Alipay's key changes an order.
Notifications are recorded ones (fixtures/alipay/) naming our order, signed here with keys the tests
generate; nothing reaches the network."""

import json
import uuid
from base64 import b64decode, b64encode
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.urls import reverse
from django.utils.translation import gettext

from members.access import can_read_in_full
from members.models import Membership, MembershipGrant, Order, PaymentEvent, Plan
from members.payments.alipay import client as alipay_client
from members.payments.alipay import notifications
from members.services import order_create
from tests.factories import make_article

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "alipay"
APP_ID = "2021000000000001"
SELLER_ID = "2088101117955611"
GATEWAY = "https://openapi.alipay.com/gateway.do"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
WECHAT_BROWSER = IPHONE + " MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


@pytest.fixture(scope="module")
def alipay_key():
    """Stands for Alipay's own key pair: its private half signs notifications and answers."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def app_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def no_network(request):
    raise AssertionError(f"A test reached for the network: {request.get_method()} {request.full_url}")


@pytest.fixture(autouse=True)
def alipay_settings(settings, tmp_path, monkeypatch, alipay_key, app_key):
    monkeypatch.setattr(alipay_client, "alipay_http", no_network)
    private_path = tmp_path / "app_private_key.pem"
    private_path.write_bytes(app_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public_path = tmp_path / "alipay_public_key.pem"
    public_path.write_bytes(alipay_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    settings.ALIPAY_APP_ID = APP_ID
    settings.ALIPAY_PRIVATE_KEY_PATH = str(private_path)
    settings.ALIPAY_PUBLIC_KEY_PATH = str(public_path)
    settings.ALIPAY_SELLER_ID = ""
    settings.ALIPAY_GATEWAY = GATEWAY
    settings.SITE_URL = "https://zhuanlan.example.com"


@pytest.fixture
def order(reader, column):
    plan = column.plans.get(kind=Plan.Kind.ANNUAL)
    return order_create(user=reader, plan=plan, provider="alipay", checkout_token=uuid.uuid4())


def recorded(name: str, order) -> dict:
    """A recorded notification or answer (fixtures/alipay/) naming our order."""
    return json.loads((FIXTURES / name).read_text().replace("ORDER_NUMBER", order.number))


def fresh_id() -> str:
    return uuid.uuid4().hex


def sign_as(key, content: bytes) -> str:
    return b64encode(key.sign(content, padding.PKCS1v15(), hashes.SHA256())).decode()


def signed_notification(fields: dict, key, *, charset="utf-8") -> bytes:
    """The body Alipay posts: the fields with a signature over `name=value&…` of every field with a
    value except sign and sign_type, sorted by name, in the notification's charset."""
    content = "&".join(f"{name}={value}" for name, value in sorted(fields.items()) if name not in ("sign", "sign_type") and value != "")
    return urlencode({**fields, "sign": sign_as(key, content.encode(charset))}, encoding=charset).encode("ascii")


@pytest.fixture
def notify(client, alipay_key):
    def send(fields, *, key=None, body=None, charset="utf-8"):
        body = signed_notification(fields, key or alipay_key, charset=charset) if body is None else body
        return client.post(reverse("members:alipay-notify"), body, content_type="application/x-www-form-urlencoded")

    return send


def paid(order, **changes):
    return {**recorded("notify_trade_success.json", order), "notify_id": fresh_id(), **changes}


def refund(order, name="notify_refund_partial.json", **changes):
    return {**recorded(name, order), "notify_id": fresh_id(), **changes}


def test_a_verified_payment_notification_opens_the_column(notify, order, reader, column):
    article = make_article(column)
    response = notify(paid(order))
    assert response.status_code == 200 and response.content == b"success"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.provider_reference == "2026112222001446880500000001"
    assert can_read_in_full(reader, article)
    event = PaymentEvent.objects.get()
    assert event.outcome == "activated" and event.event_type == "TRADE_SUCCESS" and event.payload["out_trade_no"] == order.number


def test_a_repeated_notification_grants_once(notify, order):
    fields = paid(order)
    assert {notify(fields).content for _ in range(3)} == {b"success"}
    assert MembershipGrant.objects.filter(order=order).count() == 1 and PaymentEvent.objects.count() == 1


def test_a_notification_signed_by_another_key_is_refused(notify, order):
    response = notify(paid(order), key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain") and response.content != b"success"
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()
    assert Order.objects.get().status == Order.Status.PENDING


def test_an_unsigned_notification_is_refused(notify, order):
    assert notify(paid(order), body=urlencode(paid(order)).encode()).status_code == 400
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()


def test_a_tampered_field_is_refused(notify, order, alipay_key):
    fields = paid(order, total_amount="0.01")
    body = signed_notification(fields, alipay_key).replace(b"total_amount=0.01", b"total_amount=99.00")
    assert notify(fields, body=body).status_code == 400
    assert Order.objects.get().status == Order.Status.PENDING and not PaymentEvent.objects.exists()


def test_a_notification_signed_with_rsa1_is_refused(notify, order):
    assert notify(paid(order, sign_type="RSA")).status_code == 400
    assert not PaymentEvent.objects.exists()


def test_a_field_given_twice_is_refused(notify, order, alipay_key):
    body = signed_notification(paid(order), alipay_key) + b"&trade_status=TRADE_SUCCESS"
    assert notify({}, body=body).status_code == 400
    assert not PaymentEvent.objects.exists()


def test_a_notification_in_gbk_verifies_in_gbk(notify, order):
    response = notify(paid(order, charset="gbk", subject="付费专栏 · 年度会员"), charset="gbk")
    assert response.content == b"success" and Order.objects.get().status == Order.Status.PAID


def test_a_wrong_amount_grants_nothing_and_is_recorded(notify, order):
    assert notify(paid(order, total_amount="0.01")).content == b"success"
    assert not Membership.objects.exists() and Order.objects.get().status == Order.Status.PENDING
    assert PaymentEvent.objects.get().outcome == f"refused: Order {order.number} costs 9900 fen but 1 were paid."


@pytest.mark.parametrize("amount", ["99.001", "9.9e1", "-99.00", "", "99.00 ", "９９.00", "99,00"])
def test_an_amount_that_is_not_exact_yuan_grants_nothing(notify, order, amount):
    assert notify(paid(order, total_amount=amount)).content == b"success"
    assert not Membership.objects.exists() and PaymentEvent.objects.get().outcome.startswith("refused")


def test_an_amount_with_one_decimal_is_still_exact(notify, order):
    notify(paid(order, total_amount="99.0"))
    assert Order.objects.get().status == Order.Status.PAID


def test_a_payment_in_another_currency_grants_nothing(notify, order):
    notify(paid(order, trans_currency="USD"))
    assert not Membership.objects.exists() and PaymentEvent.objects.get().outcome.startswith("refused")


def test_a_payment_to_another_app_grants_nothing(notify, order):
    notify(paid(order, app_id="2021000000000002"))
    assert not Membership.objects.exists() and PaymentEvent.objects.get().outcome == "refused: another app"


def test_a_payment_to_another_seller_grants_nothing_when_the_seller_is_set(notify, order, settings):
    settings.ALIPAY_SELLER_ID = "2088000000000009"
    notify(paid(order))
    assert not Membership.objects.exists() and PaymentEvent.objects.get().outcome == "refused: another seller"
    settings.ALIPAY_SELLER_ID = SELLER_ID
    notify(paid(order))
    assert Order.objects.get().status == Order.Status.PAID


def test_a_finished_trade_counts_as_paid(notify, order):
    notify(paid(order, trade_status="TRADE_FINISHED"))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_a_closed_unpaid_trade_fails_the_order(notify, order):
    notify(paid(order, trade_status="TRADE_CLOSED", gmt_payment="", buyer_pay_amount="0.00", receipt_amount="0.00"))
    assert Order.objects.get().status == Order.Status.FAILED and not Membership.objects.exists()


def test_a_trade_waiting_for_payment_changes_nothing(notify, order):
    assert notify(paid(order, trade_status="WAIT_BUYER_PAY")).content == b"success"
    assert Order.objects.get().status == Order.Status.PENDING
    assert PaymentEvent.objects.get().outcome == "ignored: trade status 'WAIT_BUYER_PAY'"


def test_unknown_notifications_and_orders_are_acknowledged(notify, order):
    assert notify(paid(order, notify_type="fund_auth_freeze")).content == b"success"
    assert notify(paid(order, out_trade_no="20260101FFFFFFFFFF")).content == b"success"
    assert sorted(PaymentEvent.objects.values_list("outcome", flat=True)) == [
        "ignored: no order of ours for this trade",
        "ignored: not a notification we act on",
    ]
    assert Order.objects.get().status == Order.Status.PENDING


def test_a_verified_notification_whose_work_fails_is_not_acknowledged(notify, order, monkeypatch):
    fields = paid(order)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(notifications, "order_mark_paid", broken)
    response = notify(fields)
    assert response.status_code == 500 and response.content != b"success"
    assert not PaymentEvent.objects.exists() and not Membership.objects.exists()
    monkeypatch.undo()
    assert notify(fields).content == b"success"
    assert Order.objects.get().status == Order.Status.PAID and PaymentEvent.objects.get().outcome == "activated"


def test_the_stored_notification_keeps_no_alipay_account(notify, order):
    notify(paid(order))
    payload = json.dumps(PaymentEvent.objects.get().payload)
    assert "159****5620" not in payload and "2088102177846880" not in payload and '"sign"' not in payload
    assert len(PaymentEvent.objects.get().payload["buyer_hash"]) == 32


def test_the_notification_endpoint_is_closed_without_alipay(client, settings):
    settings.ALIPAY_APP_ID = ""
    assert client.post(reverse("members:alipay-notify"), b"a=b", content_type="application/x-www-form-urlencoded").status_code == 404


# Refunds: refund_fee is the total refunded so far


def test_a_partial_refund_keeps_access(notify, order):
    notify(paid(order))
    assert notify(refund(order)).content == b"success"
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()
    event = PaymentEvent.objects.get(event_type="REFUND.TRADE_SUCCESS")
    assert event.outcome == "already paid; kept: 1000 of 9900 fen refunded, access unchanged"


def test_refunds_that_reach_the_price_end_access(notify, order):
    notify(paid(order))
    notify(refund(order, refund_fee="40.00", out_biz_no="R1"))
    assert Membership.objects.get().is_active()
    notify(refund(order, refund_fee="99.00", out_biz_no="R2"))
    assert Order.objects.get().status == Order.Status.REFUNDED and not Membership.objects.get().is_active()


def test_a_full_refund_closes_the_trade_and_ends_access(notify, order):
    notify(paid(order))
    notify(refund(order, "notify_refund_full.json"))
    assert Order.objects.get().status == Order.Status.REFUNDED and not Membership.objects.get().is_active()
    assert PaymentEvent.objects.get(event_type="REFUND.TRADE_CLOSED").outcome == "refunded"


def test_a_late_report_of_an_earlier_part_does_not_bring_access_back(notify, order):
    notify(paid(order))
    notify(refund(order, "notify_refund_full.json"))
    notify(refund(order, refund_fee="10.00"))
    assert Order.objects.get().status == Order.Status.REFUNDED and not Membership.objects.get().is_active()


def test_a_refund_before_the_payment_notification_leaves_no_access(notify, order):
    notify(refund(order, "notify_refund_full.json"))
    notify(paid(order))
    assert Order.objects.get().status == Order.Status.REFUNDED and not Membership.objects.exists()


def test_a_partial_refund_reported_first_still_counts_the_payment(notify, order):
    notify(refund(order))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


# Signing requests, and the way to Alipay's cashier


def test_the_signed_text_is_sorted_without_the_signature_or_empty_fields():
    assert alipay_client.content_to_sign({"b": "2", "a": "1=x&y", "sign": "S", "sign_type": "RSA2", "c": ""}, leave_out=("sign", "sign_type")) == "a=1=x&y&b=2"


def cashier_request(location: str, app_key) -> dict:
    """The parameters of the signed request in the gateway address, once our signature verifies."""
    assert location.startswith(GATEWAY + "?")
    params = dict(parse_qsl(urlsplit(location).query, strict_parsing=True))
    content = "&".join(f"{name}={value}" for name, value in sorted(params.items()) if name != "sign")
    app_key.public_key().verify(b64decode(params["sign"]), content.encode(), padding.PKCS1v15(), hashes.SHA256())
    return params


def checkout(client, reader, column, user_agent):
    plan = column.plans.get()
    client.force_login(reader)
    form = client.get(reverse("members:checkout", args=[plan.pk]), HTTP_USER_AGENT=user_agent).context["form"]
    return client.post(
        reverse("members:checkout", args=[plan.pk]),
        {"provider": "alipay", "checkout_token": form["checkout_token"].value(), "next": form["next"].value()},
        HTTP_USER_AGENT=user_agent,
    )


def test_checkout_on_a_computer_sends_the_reader_to_alipays_cashier_page(client, reader, column, app_key):
    response = checkout(client, reader, column, DESKTOP)
    order = Order.objects.get()
    params = cashier_request(response["Location"], app_key)
    assert params["method"] == "alipay.trade.page.pay" and params["app_id"] == APP_ID and params["sign_type"] == "RSA2"
    assert params["notify_url"] == "https://zhuanlan.example.com/webhooks/alipay/"
    assert params["return_url"] == "https://zhuanlan.example.com" + reverse("members:alipay-return", args=[order.number])
    biz = json.loads(params["biz_content"])
    deadline = (order.created_at + timedelta(hours=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert biz["out_trade_no"] == order.number and biz["total_amount"] == "99.00" and biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert biz["time_expire"] == f"{deadline:%Y-%m-%d %H:%M:%S}"
    assert order.status == Order.Status.PENDING and not Membership.objects.exists()


def test_checkout_on_a_phone_opens_alipays_mobile_payment(client, reader, column, app_key):
    response = checkout(client, reader, column, IPHONE)
    order = Order.objects.get()
    params = cashier_request(response["Location"], app_key)
    biz = json.loads(params["biz_content"])
    assert params["method"] == "alipay.trade.wap.pay" and biz["product_code"] == "QUICK_WAP_WAY"
    assert biz["quit_url"] == "https://zhuanlan.example.com" + order.get_absolute_url()


def offered(client, reader, column, user_agent):
    client.force_login(reader)
    form = client.get(reverse("members:checkout", args=[column.plans.get().pk]), HTTP_USER_AGENT=user_agent).context["form"]
    return dict(form["provider"].field.choices)


def test_alipay_is_offered_on_phones_and_computers_but_not_inside_wechat(client, reader, column, settings):
    assert offered(client, reader, column, DESKTOP)["alipay"] == gettext("Alipay")
    assert "alipay" in offered(client, reader, column, IPHONE)
    assert "alipay" not in offered(client, reader, column, WECHAT_BROWSER)
    settings.ALIPAY_PUBLIC_KEY_PATH = ""
    assert "alipay" not in offered(client, reader, column, DESKTOP)


def test_keys_in_the_key_tools_bare_base64_work(notify, order, settings, tmp_path, alipay_key, app_key):
    private = tmp_path / "应用私钥RSA2048.txt"
    private.write_bytes(
        b64encode(app_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    )
    public = tmp_path / "alipayPublicKey_RSA2.txt"
    public.write_bytes(b64encode(alipay_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)) + b"\n")
    settings.ALIPAY_PRIVATE_KEY_PATH, settings.ALIPAY_PUBLIC_KEY_PATH = str(private), str(public)
    assert alipay_client.app_private_key().private_numbers() == app_key.private_numbers()
    assert notify(paid(order)).content == b"success" and Order.objects.get().status == Order.Status.PAID


def test_forms_may_hand_over_to_alipay_only_when_alipay_is_on():
    # The checkout form posts to us and we redirect to Alipay's gateway, which sends the reader on to
    # its cashier hosts: browsers check each hop against form-action.
    from tests.portal_tests.test_security_headers import production_settings

    def form_action(**env):
        return production_settings(**env)["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"]

    assert form_action() == ["'self'"]
    assert form_action(DJANGO_ALIPAY_APP_ID=APP_ID) == ["'self'", "https://*.alipay.com"]
    assert form_action(DJANGO_ALIPAY_APP_ID=APP_ID, DJANGO_ALIPAY_SANDBOX="1") == ["'self'", "https://*.alipaydev.com"]
