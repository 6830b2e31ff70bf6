"""Asking WeChat Pay about our orders: every answer must carry WeChat Pay's signature before we
act on it; "I have paid" on the QR page and the reconcile command mark an order paid exactly once,
fail the ones WeChat Pay closed, and close the ones nobody paid in time."""

import json
import time
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from members.models import Membership, MembershipGrant, Order, PaymentEvent
from members.payments import wechat
from members.payments.wechat_api import WechatPayError
from members.services import order_create
from tests.factories import make_user
from tests.members_tests.test_wechat import (  # noqa: F401 (fixtures)
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

CODE_URL = "weixin://wxpay/bizpayurl?pr=abcdefg"


def query_path(order):
    return f"/v3/pay/transactions/out-trade-no/{order.number}"


def close_path(order):
    return f"/v3/pay/transactions/out-trade-no/{order.number}/close"


def age(order, **delta):
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(**delta))
    order.refresh_from_db()
    return order


# Answers must be signed


def test_an_unsigned_answer_to_the_order_creation_is_an_error_and_nothing_is_kept(client, reader, order, wechat_pay):
    wechat_pay.on("POST", wechat.NATIVE_ORDER_PATH, {"code_url": CODE_URL}, signed=False)
    client.force_login(reader)
    response = client.get(reverse("members:wechat-pay", args=[order.number]))
    assert response["Location"] == order.get_absolute_url()
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    wechat_pay.on("POST", wechat.NATIVE_ORDER_PATH, {"code_url": CODE_URL})
    assert client.get(reverse("members:wechat-pay", args=[order.number])).status_code == 200
    assert len(wechat_pay.requests) == 2, "the unverified code_url was not cached"


@pytest.mark.parametrize(
    "signing",
    [
        {"signing_key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
        {"timestamp": int(time.time()) - 600},
        {"serial": "PUB_KEY_ID_0000"},
    ],
    ids=["another key", "stale", "unknown public key id"],
)
def test_a_forged_or_stale_answer_is_an_error(order, wechat_pay, signing):
    wechat_pay.on("POST", wechat.NATIVE_ORDER_PATH, {"code_url": CODE_URL}, **signing)
    with pytest.raises(WechatPayError, match="not signed by WeChat Pay"):
        wechat.code_url_for(order)


def test_a_tampered_answer_is_an_error(order, wechat_pay):
    wechat_pay.on("POST", wechat.NATIVE_ORDER_PATH, {"code_url": CODE_URL})
    genuine = wechat_pay.routes[("POST", wechat.NATIVE_ORDER_PATH)]

    def tampered():
        answer = genuine()
        return type(answer)(answer.status, answer.headers, answer.body.replace(b"abcdefg", b"evil000"))

    wechat_pay.routes[("POST", wechat.NATIVE_ORDER_PATH)] = tampered
    with pytest.raises(WechatPayError):
        wechat.code_url_for(order)


def test_a_query_is_signed_with_the_path_and_mchid(order, wechat_pay):
    wechat_pay.on("GET", query_path(order), {**transaction_resource(order, trade_state="NOTPAY")})
    wechat.order_sync(order)
    (request,) = wechat_pay.requests
    assert request.full_url.endswith(f"{query_path(order)}?mchid={MCH_ID}")
    assert request.get_header("Authorization").startswith(f'WECHATPAY2-SHA256-RSA2048 mchid="{MCH_ID}"')


# "I have paid"


@pytest.fixture
def paying(client, reader, order):
    client.force_login(reader)
    return lambda: client.post(reverse("members:wechat-pay", args=[order.number]))


def test_i_have_paid_opens_the_column_when_wechat_pay_confirms(paying, order, wechat_pay, column):
    wechat_pay.on("GET", query_path(order), transaction_resource(order))
    response = paying()
    assert response.status_code == 302 and response["Location"] == (order.return_url or column.get_absolute_url())
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.provider_reference == "4200000000202611220000000001"
    assert Membership.objects.get().is_active()
    event = PaymentEvent.objects.get()
    assert event.event_type == "QUERY.SUCCESS" and event.outcome == "activated"
    assert "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" not in json.dumps(event.payload)


def test_the_notification_after_i_have_paid_grants_nothing_more(paying, notify, order, wechat_pay):
    wechat_pay.on("GET", query_path(order), transaction_resource(order))
    paying()
    assert notify(notification(transaction_resource(order))).status_code == 204
    assert MembershipGrant.objects.filter(order=order).count() == 1


def test_i_have_paid_before_paying_keeps_the_order_and_says_so(paying, order, wechat_pay):
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY"))
    response = paying()
    assert response["Location"] == reverse("members:wechat-pay", args=[order.number])
    assert Order.objects.get().status == Order.Status.PENDING and not Membership.objects.exists()
    assert wechat_pay.sent("POST", close_path(order)) == []


def test_i_have_paid_is_asked_at_most_once_every_few_seconds(paying, order, wechat_pay):
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY"))
    paying()
    paying()
    assert len(wechat_pay.requests) == 1


def test_i_have_paid_when_wechat_pay_closed_the_order_fails_it_for_a_retry(paying, order, wechat_pay):
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="CLOSED"))
    response = paying()
    assert response["Location"] == order.get_absolute_url()
    assert Order.objects.get().status == Order.Status.FAILED and not Membership.objects.exists()


def test_i_have_paid_with_an_unverified_answer_changes_nothing(paying, order, wechat_pay, client):
    wechat_pay.on("GET", query_path(order), transaction_resource(order), signed=False)
    response = paying()
    assert response["Location"] == reverse("members:wechat-pay", args=[order.number])
    assert Order.objects.get().status == Order.Status.PENDING
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()


def test_i_have_paid_with_a_wrong_amount_grants_nothing(paying, order, wechat_pay):
    wechat_pay.on("GET", query_path(order), transaction_resource(order, total=1))
    paying()
    assert not Membership.objects.exists() and PaymentEvent.objects.get().outcome.startswith("refused")


def test_i_have_paid_for_an_order_wechat_pay_never_saw_keeps_it_pending(paying, order, wechat_pay):
    wechat_pay.on("GET", query_path(order), {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, status=404)
    paying()
    assert Order.objects.get().status == Order.Status.PENDING


def test_only_the_reader_may_ask_about_their_order(client, order, wechat_pay):
    client.force_login(make_user())
    assert client.post(reverse("members:wechat-pay", args=[order.number])).status_code == 404
    assert wechat_pay.requests == []


# The QR code expires


def test_an_expired_qr_page_closes_the_order_and_lets_the_reader_start_again(client, reader, order, wechat_pay):
    age(order, hours=2, minutes=1)
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY"))
    wechat_pay.on("POST", close_path(order), None, status=204)
    client.force_login(reader)
    response = client.get(reverse("members:wechat-pay", args=[order.number]))
    assert response["Location"] == order.get_absolute_url()
    assert Order.objects.get().status == Order.Status.FAILED
    assert wechat_pay.sent("POST", wechat.NATIVE_ORDER_PATH) == []
    (close,) = wechat_pay.sent("POST", close_path(order))
    assert json.loads(close.data) == {"mchid": MCH_ID}


def test_an_expired_order_that_was_paid_after_all_is_marked_paid(client, reader, order, wechat_pay):
    age(order, hours=3)
    wechat_pay.on("GET", query_path(order), transaction_resource(order))
    client.force_login(reader)
    client.get(reverse("members:wechat-pay", args=[order.number]))
    assert Order.objects.get().status == Order.Status.PAID and wechat_pay.sent("POST", close_path(order)) == []


# The reconcile command


def reconcile(*args):
    out = StringIO()
    call_command("wechat_pay_reconcile", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_reconcile_marks_a_paid_order_paid_once(order, wechat_pay):
    age(order, minutes=20)
    wechat_pay.on("GET", query_path(order), transaction_resource(order))
    assert "pending → paid" in reconcile()
    reconcile()
    assert MembershipGrant.objects.filter(order=order).count() == 1 and PaymentEvent.objects.count() == 1
    assert len(wechat_pay.requests) == 1, "a paid order is no longer pending, so it is not asked about again"


def test_reconcile_leaves_young_orders_alone(order, wechat_pay):
    age(order, minutes=5)
    assert "Checked 0" in reconcile("--minutes", "15")
    assert wechat_pay.requests == []


def test_reconcile_waits_for_an_unpaid_order_still_payable(order, wechat_pay):
    age(order, minutes=30)
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY"))
    reconcile()
    assert Order.objects.get().status == Order.Status.PENDING and wechat_pay.sent("POST", close_path(order)) == []


def test_reconcile_closes_and_fails_an_abandoned_order(order, wechat_pay):
    age(order, hours=2, minutes=5)
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY"))
    wechat_pay.on("POST", close_path(order), None, status=204)
    assert "pending → failed" in reconcile()
    assert Order.objects.get().status == Order.Status.FAILED and not Membership.objects.exists()


def test_reconcile_fails_an_abandoned_order_wechat_pay_never_saw(order, wechat_pay):
    age(order, hours=3)
    wechat_pay.on("GET", query_path(order), {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, status=404)
    reconcile()
    assert Order.objects.get().status == Order.Status.FAILED


def test_reconcile_does_not_trust_an_unsigned_order_not_exist(order, wechat_pay):
    age(order, hours=3)
    wechat_pay.on("GET", query_path(order), {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, status=404, signed=False)
    with pytest.raises(CommandError, match=order.number):
        reconcile()
    assert Order.objects.get().status == Order.Status.PENDING


def test_reconcile_keeps_an_order_wechat_pay_would_not_close(order, wechat_pay):
    # Paid between our question and the close: WeChat Pay refuses, and the next run sees it paid.
    age(order, hours=3)
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="NOTPAY"))
    wechat_pay.on("POST", close_path(order), {"code": "ORDER_PAID", "message": "订单已支付"}, status=400)
    with pytest.raises(CommandError):
        reconcile()
    assert Order.objects.get().status == Order.Status.PENDING


def test_reconcile_fails_an_order_wechat_pay_closed(order, wechat_pay):
    age(order, minutes=30)
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="CLOSED"))
    reconcile()
    assert Order.objects.get().status == Order.Status.FAILED


def test_reconcile_reports_wechat_pay_being_unreachable_and_keeps_going(order, reader, column, wechat_pay):
    second = order_create(user=reader, plan=column.plans.get(), provider="wechat", checkout_token=uuid.uuid4())
    age(order, minutes=30)
    age(second, minutes=40)
    wechat_pay.fail("GET", query_path(order))
    wechat_pay.on("GET", query_path(second), transaction_resource(second))
    with pytest.raises(CommandError, match=order.number):
        reconcile()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    assert Order.objects.get(pk=second.pk).status == Order.Status.PAID


def test_a_late_payment_for_a_failed_order_still_counts(order, notify, wechat_pay):
    age(order, minutes=30)
    wechat_pay.on("GET", query_path(order), transaction_resource(order, trade_state="PAYERROR"))
    reconcile()
    assert Order.objects.get().status == Order.Status.FAILED
    notify(notification(transaction_resource(order)))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_reconcile_refuses_too_short_a_wait():
    with pytest.raises(CommandError, match="at least 5"):
        reconcile("--minutes", "1")
