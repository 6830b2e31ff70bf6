"""Asking Alipay about our orders: every answer must carry Alipay's signature before we act on it.
The return page ignores what the browser brings and asks; the reconcile command marks an order paid
exactly once, fails the ones Alipay closed, and closes the ones nobody paid in time."""

import json
import uuid
from base64 import b64decode
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qsl

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from members.checks import alipay_keys_load
from members.models import Membership, MembershipGrant, Order, PaymentEvent
from members.payments import alipay
from members.payments.alipay import client as alipay_client
from members.services import order_create
from tests.factories import make_user
from tests.members_tests.test_alipay import (  # noqa: F401 (fixtures)
    APP_ID,
    DESKTOP,
    GATEWAY,
    WECHAT_BROWSER,
    alipay_key,
    alipay_settings,
    app_key,
    notify,
    order,
    paid,
    recorded,
    sign_as,
)

pytestmark = pytest.mark.django_db


class FakeAlipay:
    """Alipay's gateway as tests need it: recorded answers by API method (and order, when a test
    names one), signed with Alipay's key over the response object's text unless a test says
    otherwise, and every request kept."""

    def __init__(self, signing_key):
        self.signing_key, self.requests, self.routes = signing_key, [], {}

    def on(self, method, answer: dict, *, number=None, signed=True, signing_key=None, escape_slashes=False):
        self.routes[(method, number)] = lambda: self.answer(answer, signed=signed, signing_key=signing_key, escape_slashes=escape_slashes)

    def fail(self, method, *, number=None):
        def unreachable():
            raise alipay_client.AlipayError("connection refused")

        self.routes[(method, number)] = unreachable

    def answer(self, answer, *, signed, signing_key, escape_slashes):
        ((name, response),) = answer.items()
        text = json.dumps(response, ensure_ascii=False, separators=(",", ":"))
        if escape_slashes:
            text = text.replace("/", "\\/")
        body = f'{{"{name}":{text}'
        if signed:
            body += f',"sign":"{sign_as(signing_key or self.signing_key, text.encode())}"'
        return alipay_client.ApiAnswer(200, (body + "}").encode())

    def __call__(self, request):
        assert request.full_url == GATEWAY + "?charset=utf-8" and request.get_method() == "POST"
        params = dict(parse_qsl(request.data.decode(), strict_parsing=True))
        self.requests.append(params)
        method, number = params["method"], json.loads(params["biz_content"])["out_trade_no"]
        route = self.routes.get((method, number)) or self.routes.get((method, None))
        if route is None:
            raise AssertionError(f"No recorded answer for {method}")
        return route()

    def sent(self, method):
        return [params for params in self.requests if params["method"] == method]


@pytest.fixture
def gateway(monkeypatch, alipay_key):
    fake = FakeAlipay(alipay_key)
    monkeypatch.setattr(alipay_client, "alipay_http", fake)
    return fake


QUERY, CLOSE = "alipay.trade.query", "alipay.trade.close"


def age(order, **delta):
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(**delta))
    order.refresh_from_db()
    return order


def with_status(order, trade_status):
    answer = recorded("trade_query_success.json", order)
    answer["alipay_trade_query_response"]["trade_status"] = trade_status
    return answer


# Answers must be signed


def test_a_query_is_signed_by_our_app_and_names_the_order(order, gateway, app_key):
    gateway.on(QUERY, recorded("trade_query_wait_buyer_pay.json", order))
    alipay.order_sync(order)
    (params,) = gateway.requests
    content = "&".join(f"{name}={value}" for name, value in sorted(params.items()) if name != "sign")
    app_key.public_key().verify(b64decode(params["sign"]), content.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert params["app_id"] == APP_ID and json.loads(params["biz_content"]) == {"out_trade_no": order.number}


@pytest.mark.parametrize(
    "signing",
    [{"signed": False}, {"signing_key": rsa.generate_private_key(public_exponent=65537, key_size=2048)}],
    ids=["unsigned", "another key"],
)
def test_an_unverified_paid_answer_changes_nothing(order, gateway, signing):
    gateway.on(QUERY, recorded("trade_query_success.json", order), **signing)
    with pytest.raises(alipay.AlipayError, match="not signed by Alipay"):
        alipay.order_sync(order)
    assert Order.objects.get().status == Order.Status.PENDING and not PaymentEvent.objects.exists()


def test_a_tampered_answer_is_an_error(order, gateway):
    gateway.on(QUERY, recorded("trade_query_success.json", order))
    genuine = gateway.routes[(QUERY, None)]
    gateway.routes[(QUERY, None)] = lambda: alipay_client.ApiAnswer(200, genuine().body.replace(b'"total_amount":"99.00"', b'"total_amount":"0.01"'))
    with pytest.raises(alipay.AlipayError):
        alipay.order_sync(order)
    assert Order.objects.get().status == Order.Status.PENDING


def test_the_signature_covers_the_answers_text_as_sent(order, gateway):
    # Alipay may escape "/" where json.dumps would not: re-serializing before verifying would fail.
    answer = recorded("trade_query_success.json", order)
    answer["alipay_trade_query_response"]["send_pay_date"] = "2026/11/22 12:00:05"
    gateway.on(QUERY, answer, escape_slashes=True)
    assert alipay.order_sync(order).status == Order.Status.PAID


def test_an_unsigned_error_response_is_an_error_that_changes_nothing(order, gateway):
    gateway.on(QUERY, recorded("error_invalid_signature.json", order), signed=False)
    with pytest.raises(alipay.AlipayRefused) as refusal:
        alipay.order_sync(order, close_unpaid=True)
    assert refusal.value.sub_code == "isv.invalid-signature" and not refusal.value.verified
    assert Order.objects.get().status == Order.Status.PENDING


@pytest.mark.parametrize("body", [b"<html>502</html>", b'{"alipay_trade_query_response":{"code":"10000"}} trailing', b'{"a":1,"a":2}', b""])
def test_an_answer_that_is_not_alipays_json_is_an_error(order, gateway, body):
    gateway.routes[(QUERY, None)] = lambda: alipay_client.ApiAnswer(200, body)
    with pytest.raises(alipay.AlipayError, match="not Alipay's JSON"):
        alipay.order_sync(order)


# The return page


@pytest.fixture
def returning(client, reader, order):
    client.force_login(reader)
    return lambda query="": client.get(reverse("members:alipay-return", args=[order.number]) + query)


def test_the_return_page_opens_the_column_when_alipay_confirms(returning, order, gateway, column):
    gateway.on(QUERY, recorded("trade_query_success.json", order))
    response = returning()
    assert response.status_code == 302 and response["Location"] == (order.return_url or column.get_absolute_url())
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and Membership.objects.get().is_active()
    event = PaymentEvent.objects.get()
    assert event.event_type == "QUERY.TRADE_SUCCESS" and event.outcome == "activated" and event.event_id == f"query:{order.number}:TRADE_SUCCESS"
    assert "159****5620" not in json.dumps(event.payload)


def test_the_return_page_ignores_what_the_browser_brings(returning, order, gateway):
    gateway.on(QUERY, recorded("trade_query_wait_buyer_pay.json", order))
    forged = f"?out_trade_no={order.number}&trade_no=2026&total_amount=99.00&trade_status=TRADE_SUCCESS&sign_type=RSA2&sign=Zm9yZ2Vk&app_id={APP_ID}"
    response = returning(forged)
    assert response.status_code == 200 and Order.objects.get().status == Order.Status.PENDING
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()
    html = response.content.decode()
    assert 'id="alipay-check-again"' in html and reverse("members:alipay-pay", args=[order.number]) in html
    assert len(gateway.sent(QUERY)) == 1


def test_the_return_page_asks_at_most_once_every_few_seconds(returning, order, gateway):
    gateway.on(QUERY, recorded("trade_query_wait_buyer_pay.json", order))
    returning()
    response = returning()
    assert len(gateway.requests) == 1 and response.status_code == 200
    assert [str(m) for m in get_messages(response.wsgi_request)] == [gettext("We checked a moment ago. Please wait a few seconds and check again.")]


def test_the_return_page_says_so_when_alipay_is_not_answering(returning, order, gateway):
    gateway.fail(QUERY)
    response = returning()
    assert response.status_code == 200 and Order.objects.get().status == Order.Status.PENDING
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]


def test_the_return_page_shows_a_trade_alipay_closed_as_failed(returning, order, gateway):
    gateway.on(QUERY, with_status(order, "TRADE_CLOSED"))
    response = returning()
    assert response.status_code == 200 and Order.objects.get().status == Order.Status.FAILED
    assert reverse("members:checkout", args=[order.plan_id]) in response.content.decode() and not Membership.objects.exists()


def test_the_return_page_closes_an_unpaid_order_past_its_deadline(returning, order, gateway):
    age(order, hours=2, minutes=1)
    gateway.on(QUERY, recorded("trade_query_wait_buyer_pay.json", order))
    gateway.on(CLOSE, recorded("trade_close_success.json", order))
    response = returning()
    assert Order.objects.get().status == Order.Status.FAILED and response.status_code == 200
    (close,) = gateway.sent(CLOSE)
    assert json.loads(close["biz_content"]) == {"out_trade_no": order.number}


def test_the_return_page_is_only_for_the_readers_own_order(client, order, gateway):
    client.force_login(make_user())
    assert client.get(reverse("members:alipay-return", args=[order.number])).status_code == 404
    assert gateway.requests == []


def test_a_notification_after_the_return_page_grants_nothing_more(returning, notify, order, gateway):
    gateway.on(QUERY, recorded("trade_query_success.json", order))
    returning()
    assert notify(paid(order)).content == b"success"
    assert MembershipGrant.objects.filter(order=order).count() == 1


# Continuing to pay


def test_continue_to_payment_signs_a_fresh_cashier_address(client, reader, order):
    client.force_login(reader)
    response = client.get(reverse("members:alipay-pay", args=[order.number]), HTTP_USER_AGENT=DESKTOP)
    assert response.status_code == 302 and response["Location"].startswith(GATEWAY + "?")
    assert "alipay.trade.page.pay" in response["Location"] and order.number in response["Location"]


def test_continue_to_payment_inside_wechat_explains_instead(client, reader, order):
    client.force_login(reader)
    response = client.get(reverse("members:alipay-pay", args=[order.number]), HTTP_USER_AGENT=WECHAT_BROWSER)
    assert response["Location"] == order.get_absolute_url()


def test_continue_to_payment_after_the_deadline_settles_the_order(client, reader, order, gateway):
    age(order, hours=3)
    gateway.on(QUERY, recorded("trade_query_not_exist.json", order))
    client.force_login(reader)
    response = client.get(reverse("members:alipay-pay", args=[order.number]), HTTP_USER_AGENT=DESKTOP)
    assert response["Location"] == order.get_absolute_url() and Order.objects.get().status == Order.Status.FAILED


# The reconcile command


def reconcile(*args):
    out = StringIO()
    call_command("alipay_reconcile", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_reconcile_marks_a_paid_order_paid_once(order, gateway):
    age(order, minutes=20)
    gateway.on(QUERY, recorded("trade_query_success.json", order))
    assert f"{order.number}: pending → paid" in reconcile()
    reconcile()
    assert MembershipGrant.objects.filter(order=order).count() == 1 and PaymentEvent.objects.count() == 1
    assert len(gateway.requests) == 1, "a paid order is no longer pending, so it is not asked about again"


def test_reconcile_leaves_young_orders_alone(order, gateway):
    age(order, minutes=5)
    assert "Checked 0 pending Alipay order(s); 0 changed." in reconcile("--minutes", "15")
    assert gateway.requests == []


def test_reconcile_waits_for_an_unpaid_order_still_payable(order, gateway):
    age(order, minutes=30)
    gateway.on(QUERY, recorded("trade_query_wait_buyer_pay.json", order))
    reconcile()
    assert Order.objects.get().status == Order.Status.PENDING and gateway.sent(CLOSE) == []


def test_reconcile_keeps_an_order_alipay_has_not_seen_while_it_is_payable(order, gateway):
    age(order, minutes=30)
    gateway.on(QUERY, recorded("trade_query_not_exist.json", order))
    reconcile()
    assert Order.objects.get().status == Order.Status.PENDING


def test_reconcile_closes_and_fails_an_abandoned_order(order, gateway):
    age(order, hours=2, minutes=5)
    gateway.on(QUERY, recorded("trade_query_wait_buyer_pay.json", order))
    gateway.on(CLOSE, recorded("trade_close_success.json", order))
    assert "pending → failed" in reconcile()
    assert Order.objects.get().status == Order.Status.FAILED and len(gateway.sent(CLOSE)) == 1


def test_reconcile_fails_an_abandoned_order_alipay_never_saw(order, gateway):
    age(order, hours=3)
    gateway.on(QUERY, recorded("trade_query_not_exist.json", order))
    reconcile()
    assert Order.objects.get().status == Order.Status.FAILED and gateway.sent(CLOSE) == []


def test_reconcile_does_not_trust_an_unsigned_trade_not_exist(order, gateway):
    age(order, hours=3)
    gateway.on(QUERY, recorded("trade_query_not_exist.json", order), signed=False)
    with pytest.raises(CommandError, match=order.number):
        reconcile()
    assert Order.objects.get().status == Order.Status.PENDING


def test_reconcile_keeps_an_order_alipay_would_not_close(order, gateway):
    # Paid between our question and the close: Alipay refuses, and the next run sees it paid.
    age(order, hours=3)
    gateway.on(QUERY, recorded("trade_query_wait_buyer_pay.json", order))
    gateway.on(CLOSE, recorded("trade_close_status_error.json", order))
    with pytest.raises(CommandError):
        reconcile()
    assert Order.objects.get().status == Order.Status.PENDING


def test_reconcile_fails_an_order_alipay_closed(order, gateway):
    age(order, minutes=30)
    gateway.on(QUERY, with_status(order, "TRADE_CLOSED"))
    reconcile()
    assert Order.objects.get().status == Order.Status.FAILED


def test_reconcile_reports_alipay_being_unreachable_and_keeps_going(order, reader, column, gateway):
    second = order_create(user=reader, plan=column.plans.get(), provider="alipay", checkout_token=uuid.uuid4())
    age(order, minutes=30)
    age(second, minutes=40)
    gateway.fail(QUERY, number=order.number)
    gateway.on(QUERY, recorded("trade_query_success.json", second), number=second.number)
    with pytest.raises(CommandError, match=order.number):
        reconcile()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    assert Order.objects.get(pk=second.pk).status == Order.Status.PAID


def test_a_late_payment_for_a_failed_order_still_counts(order, notify, gateway):
    age(order, hours=3)
    gateway.on(QUERY, recorded("trade_query_not_exist.json", order))
    reconcile()
    assert Order.objects.get().status == Order.Status.FAILED
    notify(paid(order))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_reconcile_refuses_too_short_a_wait_or_no_alipay(settings):
    with pytest.raises(CommandError, match="at least 5"):
        reconcile("--minutes", "1")
    settings.ALIPAY_APP_ID = ""
    with pytest.raises(CommandError, match="DJANGO_ALIPAY_"):
        reconcile()


# System checks


def test_good_keys_pass_the_checks():
    assert alipay_keys_load(None) == []


def test_a_missing_key_file_is_an_error(settings, tmp_path):
    settings.ALIPAY_PRIVATE_KEY_PATH = str(tmp_path / "missing.pem")
    assert [problem.id for problem in alipay_keys_load(None)] == ["members.E020"]


def test_a_file_that_is_not_a_key_is_an_error(settings, tmp_path):
    not_a_key = tmp_path / "alipay_public_key.txt"
    not_a_key.write_text("MIIBIjANBgkqhkiG9w0B 这不是公钥")
    settings.ALIPAY_PUBLIC_KEY_PATH = str(not_a_key)
    assert [problem.id for problem in alipay_keys_load(None)] == ["members.E021"]


def test_our_own_public_key_in_place_of_alipays_is_an_error(settings, tmp_path, app_key):
    own = tmp_path / "appPublicKey.pem"
    own.write_bytes(app_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    settings.ALIPAY_PUBLIC_KEY_PATH = str(own)
    assert [problem.id for problem in alipay_keys_load(None)] == ["members.E022"]


def test_a_partial_configuration_is_a_warning_and_none_is_silence(settings):
    settings.ALIPAY_PUBLIC_KEY_PATH = ""
    (warning,) = alipay_keys_load(None)
    assert warning.id == "members.W020" and "DJANGO_ALIPAY_PUBLIC_KEY_PATH" in warning.hint
    settings.ALIPAY_APP_ID = settings.ALIPAY_PRIVATE_KEY_PATH = ""
    assert alipay_keys_load(None) == []
