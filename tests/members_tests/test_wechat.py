"""WeChat Pay (Native, API v3): the reader scans our QR code; only a notification signed by the
platform key and encrypted with our APIv3 key changes anything. Keys are generated per test run."""

import json
import re
import secrets
import time
import uuid
from base64 import b64decode, b64encode
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from django.urls import reverse

from members.access import can_read_in_full
from members.models import Membership, MembershipGrant, Order, PaymentEvent, Plan
from members.payments import wechat, wechat_api
from members.services import order_create
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

API_V3_KEY = "0123456789abcdef0123456789ABCDEF"
MCH_ID = "1900000001"
APP_ID = "wx0000000000000001"


@pytest.fixture(scope="module")
def platform_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def merchant_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_certificate(key, serial_number, *, valid_days=30):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA test")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial_number)
        .not_valid_before(now - timedelta(days=1) + timedelta(days=min(valid_days, 0)))
        .not_valid_after(now + timedelta(days=valid_days))
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def platform_certificate(platform_key):
    return make_certificate(platform_key, 0x5157F09EFDC096DE15EBE81A47057A72)


def serial_of(certificate) -> str:
    return format(certificate.serial_number, "X")


def no_network(request):
    raise AssertionError(f"A test reached for the network: {request.get_method()} {request.full_url}")


@pytest.fixture(autouse=True)
def wechat_keys(settings, tmp_path, monkeypatch, merchant_key, platform_certificate):
    monkeypatch.setattr(wechat_api, "wechat_http", no_network)
    merchant_path = tmp_path / "apiclient_key.pem"
    merchant_path.write_bytes(merchant_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    certificate_path = tmp_path / "wechatpay_platform.pem"
    certificate_path.write_bytes(platform_certificate.public_bytes(serialization.Encoding.PEM))
    settings.WECHAT_PAY_MCH_ID = MCH_ID
    settings.WECHAT_PAY_APP_ID = APP_ID
    settings.WECHAT_PAY_API_V3_KEY = API_V3_KEY
    settings.WECHAT_PAY_PRIVATE_KEY_PATH = str(merchant_path)
    settings.WECHAT_PAY_SERIAL_NO = "MERCHANTSERIAL0001"
    settings.WECHAT_PAY_PLATFORM_CERT_PATH = str(certificate_path)
    settings.WECHAT_PAY_PLATFORM_SERIAL = ""
    settings.WECHAT_PAY_PLATFORM_CERT_DIR = ""
    settings.SITE_URL = "https://zhuanlan.example.com"


class FakeWechatPay:
    """WeChat Pay's API as tests need it: canned answers by method and path (query string
    ignored), signed by the platform key unless a test says otherwise, and every request kept."""

    def __init__(self, signing_key, certificate):
        self.signing_key, self.serial = signing_key, serial_of(certificate)
        self.requests, self.routes = [], {}

    def on(self, method, path, payload=None, *, status=200, **signing):
        self.routes[(method, path)] = lambda: self.answer(status, payload, **signing)

    def fail(self, method, path, error=None):
        def raise_error():
            raise wechat_api.WechatPayError(error or "connection refused")

        self.routes[(method, path)] = raise_error

    def answer(self, status, payload, *, signing_key=None, serial=None, timestamp=None, signed=True):
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        headers = {"request-id": "08F78BB5060010"}
        if signed:
            signed_by = signed_headers(body, signing_key or self.signing_key, None, timestamp=timestamp, serial=serial or self.serial)
            headers.update({name.removeprefix("HTTP_").lower().replace("_", "-"): value for name, value in signed_by.items()})
        return wechat_api.ApiAnswer(status, headers, body)

    def __call__(self, request):
        self.requests.append(request)
        path = request.full_url.removeprefix(wechat_api.API_BASE).partition("?")[0]
        route = self.routes.get((request.get_method(), path))
        if route is None:
            raise AssertionError(f"No canned answer for {request.get_method()} {path}")
        return route()

    def sent(self, method, path):
        return [r for r in self.requests if r.get_method() == method and r.full_url.removeprefix(wechat_api.API_BASE).partition("?")[0] == path]


@pytest.fixture
def wechat_pay(monkeypatch, platform_key, platform_certificate):
    fake = FakeWechatPay(platform_key, platform_certificate)
    monkeypatch.setattr(wechat_api, "wechat_http", fake)
    return fake


@pytest.fixture
def order(reader, column):
    plan = column.plans.get(kind=Plan.Kind.ANNUAL)
    return order_create(user=reader, plan=plan, provider="wechat", checkout_token=uuid.uuid4())


def transaction_resource(order, *, total=None, trade_state="SUCCESS", **fields):
    return {
        "mchid": MCH_ID,
        "appid": APP_ID,
        "out_trade_no": order.number,
        "transaction_id": "4200000000202611220000000001",
        "trade_type": "NATIVE",
        "trade_state": trade_state,
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": order.amount_fen if total is None else total, "payer_total": 9900, "currency": "CNY"},
        **fields,
    }


def certificate_list(*certificates, key=API_V3_KEY):
    """The body of GET /v3/certificates: each certificate encrypted with the APIv3 key."""
    data = []
    for certificate in certificates:
        nonce = secrets.token_hex(6)
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        data.append(
            {
                "serial_no": serial_of(certificate),
                "effective_time": certificate.not_valid_before_utc.isoformat(),
                "expire_time": certificate.not_valid_after_utc.isoformat(),
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": "certificate",
                    "ciphertext": b64encode(AESGCM(key.encode()).encrypt(nonce.encode(), pem, b"certificate")).decode(),
                },
            }
        )
    return {"data": data}


def notification(resource, *, event_type="TRANSACTION.SUCCESS", notification_id=None, key=API_V3_KEY):
    nonce = secrets.token_hex(6)
    ciphertext = AESGCM(key.encode()).encrypt(nonce.encode(), json.dumps(resource).encode(), b"transaction")
    return {
        "id": notification_id or str(uuid.uuid4()),
        "create_time": "2026-11-22T12:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": b64encode(ciphertext).decode(),
            "associated_data": "transaction",
            "nonce": nonce,
        },
    }


def signed_headers(body: bytes, signing_key, certificate, *, timestamp=None, serial=None) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    signature = signing_key.sign(f"{timestamp}\n{nonce}\n".encode() + body + b"\n", padding.PKCS1v15(), hashes.SHA256())
    return {
        "HTTP_WECHATPAY_TIMESTAMP": timestamp,
        "HTTP_WECHATPAY_NONCE": nonce,
        "HTTP_WECHATPAY_SIGNATURE": b64encode(signature).decode(),
        "HTTP_WECHATPAY_SERIAL": serial or serial_of(certificate),
    }


@pytest.fixture
def notify(client, platform_key, platform_certificate):
    def send(payload, *, signing_key=None, timestamp=None, headers=None):
        body = json.dumps(payload, ensure_ascii=False).encode()
        if headers is None:
            headers = signed_headers(body, signing_key or platform_key, platform_certificate, timestamp=timestamp)
        return client.post(reverse("members:wechat-notify"), body, content_type="application/json", **headers)

    return send


def test_a_verified_payment_notification_opens_the_column(notify, order, reader, column):
    article = make_article(column)
    response = notify(notification(transaction_resource(order)))
    assert response.status_code in (200, 204)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.provider_reference == "4200000000202611220000000001"
    assert can_read_in_full(reader, article)
    event = PaymentEvent.objects.get()
    assert event.outcome == "activated" and event.payload["resource"]["out_trade_no"] == order.number


def test_a_repeated_notification_grants_once(notify, order):
    payload = notification(transaction_resource(order))
    assert {notify(payload).status_code for _ in range(3)} <= {200, 204}
    assert MembershipGrant.objects.filter(order=order).count() == 1 and PaymentEvent.objects.count() == 1


def test_a_notification_signed_by_another_key_is_refused(notify, order):
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = notify(notification(transaction_resource(order)), signing_key=impostor)
    assert response.status_code == 400 and response.json()["code"] == "FAIL"
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()
    assert Order.objects.get().status == Order.Status.PENDING


def test_an_unsigned_notification_is_refused(notify, order):
    response = notify(notification(transaction_resource(order)), headers={})
    assert response.status_code == 400 and response.json()["code"] == "FAIL"
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()


def test_a_tampered_body_is_refused(client, order, platform_key, platform_certificate):
    body = json.dumps(notification(transaction_resource(order))).encode()
    headers = signed_headers(body, platform_key, platform_certificate)
    tampered = body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESs")
    assert client.post(reverse("members:wechat-notify"), tampered, content_type="application/json", **headers).status_code == 400


def test_a_notification_for_another_platform_serial_is_refused(client, order, platform_key, platform_certificate, wechat_pay):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(platform_certificate))
    body = json.dumps(notification(transaction_resource(order))).encode()
    headers = {**signed_headers(body, platform_key, platform_certificate), "HTTP_WECHATPAY_SERIAL": "0BADSERIAL"}
    assert client.post(reverse("members:wechat-notify"), body, content_type="application/json", **headers).status_code == 400
    assert not Membership.objects.exists()
    assert len(wechat_pay.sent("GET", "/v3/certificates")) == 1, "an unknown serial makes us look for new certificates"


def test_an_old_notification_is_refused(notify, order):
    response = notify(notification(transaction_resource(order)), timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert not Membership.objects.exists()


def test_a_resource_encrypted_with_another_key_is_refused(notify, order):
    response = notify(notification(transaction_resource(order), key="another-32-byte-key-for-aes-gcm!"))
    assert response.status_code == 400
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()


def test_a_wrong_amount_grants_nothing_and_is_recorded(notify, order):
    assert notify(notification(transaction_resource(order, total=1))).status_code in (200, 204)
    assert not Membership.objects.exists()
    assert PaymentEvent.objects.get().outcome.startswith("refused")


def test_a_payment_to_another_merchant_grants_nothing(notify, order):
    notify(notification(transaction_resource(order, mchid="1900000002")))
    assert not Membership.objects.exists()


def test_a_closed_trade_grants_nothing(notify, order):
    notify(notification(transaction_resource(order, trade_state="CLOSED")))
    assert Order.objects.get().status == Order.Status.FAILED and not Membership.objects.exists()


def test_an_unknown_notification_type_is_acknowledged(notify, order):
    assert notify(notification({"mchid": MCH_ID}, event_type="PROFIT_SHARING.SUCCESS")).status_code in (200, 204)
    assert PaymentEvent.objects.get().outcome.startswith("ignored")


def refund_resource(order, *, refund=None, number=1):
    return {
        "mchid": MCH_ID,
        "out_trade_no": order.number,
        "transaction_id": "4200000000202611220000000001",
        "out_refund_no": f"R{number}",
        "refund_id": f"5000000038201905270973267885{number}",
        "refund_status": "SUCCESS",
        "amount": {"total": order.amount_fen, "refund": order.amount_fen if refund is None else refund},
    }


def test_a_refund_ends_access(notify, order):
    notify(notification(transaction_resource(order)))
    notify(notification(refund_resource(order), event_type="REFUND.SUCCESS"))
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert not Membership.objects.get().is_active()


def test_a_refund_before_the_payment_notification_leaves_no_access(notify, order):
    notify(notification(refund_resource(order), event_type="REFUND.SUCCESS"))
    notify(notification(transaction_resource(order)))
    assert Order.objects.get().status == Order.Status.REFUNDED and not Membership.objects.exists()


def test_a_partial_refund_keeps_access(notify, order):
    notify(notification(transaction_resource(order)))
    notify(notification(refund_resource(order, refund=100), event_type="REFUND.SUCCESS"))
    assert Membership.objects.get().is_active()
    assert PaymentEvent.objects.get(event_type="REFUND.SUCCESS").outcome == "kept: 100 of 9900 fen refunded, access unchanged"


def test_partial_refunds_that_add_up_to_the_price_end_access(notify, order):
    notify(notification(transaction_resource(order)))
    notify(notification(refund_resource(order, refund=4000, number=1), event_type="REFUND.SUCCESS"))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()
    notify(notification(refund_resource(order, refund=5900, number=2), event_type="REFUND.SUCCESS"))
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert not Membership.objects.get().is_active()


def test_the_same_refund_delivered_twice_counts_once(notify, order):
    notify(notification(transaction_resource(order)))
    half = refund_resource(order, refund=4950, number=1)
    # Two deliveries of one refund, under different notification ids (as a resend after a lost answer may be).
    notify(notification(half, event_type="REFUND.SUCCESS"))
    notify(notification(half, event_type="REFUND.SUCCESS"))
    assert PaymentEvent.objects.filter(event_type="REFUND.SUCCESS").count() == 2
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()
    notify(notification(refund_resource(order, refund=4950, number=2), event_type="REFUND.SUCCESS"))
    assert Order.objects.get().status == Order.Status.REFUNDED and not Membership.objects.get().is_active()


def test_partial_refunds_before_the_payment_notification_leave_no_access(notify, order):
    notify(notification(refund_resource(order, refund=9000, number=1), event_type="REFUND.SUCCESS"))
    notify(notification(refund_resource(order, refund=900, number=2), event_type="REFUND.SUCCESS"))
    notify(notification(transaction_resource(order)))
    assert Order.objects.get().status == Order.Status.REFUNDED and not Membership.objects.exists()


def test_refunds_of_another_merchant_or_not_finished_do_not_count(notify, order):
    notify(notification(transaction_resource(order)))
    notify(notification({**refund_resource(order, refund=5000, number=1), "mchid": "1900000002"}, event_type="REFUND.SUCCESS"))
    notify(notification({**refund_resource(order, refund=5000, number=2), "refund_status": "PROCESSING"}, event_type="REFUND.SUCCESS"))
    notify(notification(refund_resource(order, refund=4900, number=3), event_type="REFUND.SUCCESS"))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_a_platform_public_key_with_its_id_also_verifies(notify, order, settings, tmp_path, platform_key, platform_certificate):
    key_path = tmp_path / "pub_key.pem"
    key_path.write_bytes(platform_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    settings.WECHAT_PAY_PLATFORM_CERT_PATH = str(key_path)
    settings.WECHAT_PAY_PLATFORM_SERIAL = format(platform_certificate.serial_number, "X")
    assert notify(notification(transaction_resource(order))).status_code in (200, 204)
    assert Membership.objects.get().is_active()


def test_the_qr_page_shows_the_code_amount_and_order_number(client, reader, column, merchant_key, wechat_pay):
    wechat_pay.on("POST", wechat.NATIVE_ORDER_PATH, {"code_url": "weixin://wxpay/bizpayurl?pr=abcdefg"})
    sent = wechat_pay.requests
    plan = column.plans.get()
    client.force_login(reader)
    form = client.get(reverse("members:checkout", args=[plan.pk])).context["form"]
    page = client.post(
        reverse("members:checkout", args=[plan.pk]),
        {"provider": "wechat", "checkout_token": form["checkout_token"].value(), "next": form["next"].value()},
        follow=True,
    )
    order = Order.objects.get()
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], "no inline script (CSP)"
    assert reverse("members:wechat-pay-status", args=[order.number]) in html, "the page polls for WeChat Pay's word"
    assert order.number in html and "¥99" in html and order.get_absolute_url() in html
    assert not Membership.objects.exists()
    client.get(reverse("members:wechat-pay", args=[order.number]))
    assert len(sent) == 1, "the code_url is remembered, not requested on every visit"

    (request,) = sent
    assert request.full_url == "https://api.mch.weixin.qq.com/v3/pay/transactions/native"
    body = json.loads(request.data)
    assert body["out_trade_no"] == order.number and body["amount"] == {"total": 9900, "currency": "CNY"}
    assert datetime.fromisoformat(body["time_expire"]) == order.created_at.replace(microsecond=0) + wechat.PAYABLE_FOR
    assert body["notify_url"] == "https://zhuanlan.example.com" + reverse("members:wechat-notify")
    scheme, _, fields = request.get_header("Authorization").partition(" ")
    assert scheme == "WECHATPAY2-SHA256-RSA2048"
    parts = dict(field.split("=", 1) for field in fields.split(","))
    parts = {name: value.strip('"') for name, value in parts.items()}
    assert parts["mchid"] == MCH_ID and parts["serial_no"] == "MERCHANTSERIAL0001"
    message = f"POST\n/v3/pay/transactions/native\n{parts['timestamp']}\n{parts['nonce_str']}\n".encode() + request.data + b"\n"
    merchant_key.public_key().verify(b64decode(parts["signature"]), message, padding.PKCS1v15(), hashes.SHA256())


def test_the_qr_page_is_only_for_the_readers_pending_wechat_order(client, order, reader):
    client.force_login(make_user())
    assert client.get(reverse("members:wechat-pay", args=[order.number])).status_code == 404
    order.status = Order.Status.FAILED
    order.save()
    client.force_login(reader)
    assert client.get(reverse("members:wechat-pay", args=[order.number]))["Location"] == order.get_absolute_url()


def test_wechat_pay_is_offered_only_with_every_key(client, reader, column, settings):
    plan = column.plans.get()
    client.force_login(reader)

    def offered():
        form = client.get(reverse("members:checkout", args=[plan.pk])).context["form"]
        return [name for name, _ in form["provider"].field.choices]

    assert "wechat" in offered()
    settings.WECHAT_PAY_API_V3_KEY = ""
    assert "wechat" not in offered()
    assert client.post(reverse("members:wechat-notify"), b"{}", content_type="application/json").status_code == 404


def test_the_stored_notification_keeps_no_openid(notify, order):
    notify(notification(transaction_resource(order)))
    payload = PaymentEvent.objects.get().payload
    assert "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" not in json.dumps(payload)
    assert set(payload["resource"]["payer"]) == {"openid_hash"} and len(payload["resource"]["payer"]["openid_hash"]) == 32


def test_the_same_payer_hashes_the_same_and_others_differ():
    same = wechat.personal_data_removed({"payer": {"openid": "oA"}})["payer"]["openid_hash"]
    assert wechat.personal_data_removed({"payer": {"openid": "oA"}})["payer"]["openid_hash"] == same
    assert wechat.personal_data_removed({"payer": {"openid": "oB"}})["payer"]["openid_hash"] != same


def test_the_stored_refund_keeps_no_receiving_account(notify, order):
    notify(notification({**refund_resource(order), "user_received_account": "招商银行信用卡0403"}, event_type="REFUND.SUCCESS"))
    assert "0403" not in json.dumps(PaymentEvent.objects.get().payload, ensure_ascii=False)


def test_wechats_signature_probe_is_refused_without_looking_further(notify, order, platform_key, platform_certificate):
    payload = notification(transaction_resource(order))
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {**signed_headers(body, platform_key, platform_certificate), "HTTP_WECHATPAY_SIGNATURE": "WECHATPAY/SIGNTEST/abc"}
    response = notify(payload, headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "FAIL"
    assert not PaymentEvent.objects.exists() and Order.objects.get().status == Order.Status.PENDING


def test_a_notification_from_the_future_is_refused(notify, order):
    assert notify(notification(transaction_resource(order)), timestamp=int(time.time()) + 301).status_code == 400
    assert not Membership.objects.exists()


@pytest.mark.parametrize("amount", [{"total": 9900, "currency": "USD"}, {"total": 9900}, {"total": "9900", "currency": "CNY"}])
def test_a_payment_in_another_currency_or_without_an_integer_total_grants_nothing(notify, order, amount):
    notify(notification(transaction_resource(order, amount=amount)))
    assert not Membership.objects.exists() and PaymentEvent.objects.get().outcome.startswith("refused")
    assert Order.objects.get().status == Order.Status.PENDING


def test_a_payment_to_another_app_grants_nothing(notify, order):
    notify(notification(transaction_resource(order, appid="wx0000000000000002")))
    assert not Membership.objects.exists() and PaymentEvent.objects.get().outcome.startswith("refused")


def test_a_verified_notification_whose_work_fails_is_not_acknowledged(notify, order, monkeypatch):
    payload = notification(transaction_resource(order))

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(wechat, "order_mark_paid", broken)
    response = notify(payload)
    assert response.status_code == 500 and response.json()["code"] == "FAIL"
    assert not PaymentEvent.objects.exists() and not Membership.objects.exists()
    monkeypatch.undo()
    assert notify(payload).status_code == 204
    assert Order.objects.get().status == Order.Status.PAID and PaymentEvent.objects.get().outcome == "activated"


def test_a_success_notification_answers_204_with_no_body(notify, order):
    response = notify(notification(transaction_resource(order)))
    assert response.status_code == 204 and response.content == b""


@pytest.mark.parametrize("event_type", ["REFUND.ABNORMAL", "REFUND.CLOSED"])
def test_a_refund_that_did_not_go_through_keeps_access(notify, order, event_type):
    notify(notification(transaction_resource(order)))
    response = notify(notification({**refund_resource(order), "refund_status": event_type.split(".")[1]}, event_type=event_type))
    assert response.status_code == 204
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()
    assert PaymentEvent.objects.get(event_type=event_type).outcome.startswith("kept")


def test_a_refund_for_another_merchant_changes_nothing(notify, order):
    notify(notification(transaction_resource(order)))
    notify(notification({**refund_resource(order), "mchid": "1900000002"}, event_type="REFUND.SUCCESS"))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_the_configured_file_may_hold_several_certificates(notify, order, settings, tmp_path, platform_key, platform_certificate):
    other = make_certificate(rsa.generate_private_key(public_exponent=65537, key_size=2048), 0x1234ABCD)
    both = tmp_path / "both.pem"
    both.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (other, platform_certificate)))
    settings.WECHAT_PAY_PLATFORM_CERT_PATH = str(both)
    assert notify(notification(transaction_resource(order))).status_code == 204


def test_the_serial_chooses_the_key(client, order, settings, tmp_path, platform_key, platform_certificate):
    other = make_certificate(rsa.generate_private_key(public_exponent=65537, key_size=2048), 0x1234ABCD)
    both = tmp_path / "both.pem"
    both.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (other, platform_certificate)))
    settings.WECHAT_PAY_PLATFORM_CERT_PATH = str(both)
    body = json.dumps(notification(transaction_resource(order))).encode()
    headers = signed_headers(body, platform_key, platform_certificate, serial=serial_of(other))
    assert client.post(reverse("members:wechat-notify"), body, content_type="application/json", **headers).status_code == 400
    assert not Membership.objects.exists()
