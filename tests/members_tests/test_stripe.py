"""Stripe: Checkout Sessions start the payment, and only signed webhook events change anything.

Nothing here reaches the network: the SDK's HTTP layer is replaced by RecordedStripe, which answers
with payloads recorded from Stripe (fixtures/stripe/), and webhook bodies carry a real signature
that the SDK verifies."""

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import stripe
from django.urls import reverse

from members.access import can_read_in_full
from members.models import Membership, MembershipGrant, Order, PaymentEvent, Plan
from members.payments import stripe as stripe_payments
from members.payments.stripe import api as stripe_api_module
from members.services import order_create
from tests.factories import make_article

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SITE_URL = "https://zhuanlan.example.com"


def recorded(name: str, *, order_number: str = "") -> dict:
    """A payload as Stripe sent it (fixtures/stripe/), naming `order_number` where it names ours."""
    return json.loads((FIXTURES / f"{name}.json").read_text().replace("ORDER_NUMBER", order_number))


@dataclass(frozen=True)
class Sent:
    """One request as it left the SDK; `params` is the form body, keyed as Stripe reads it
    (`line_items[0][price_data][unit_amount]`)."""

    method: str
    path: str
    headers: dict
    params: dict


class RecordedStripe(stripe.HTTPClient):
    """Stripe's API behind the SDK's own HTTP layer: every request is kept and answered by the next
    queued answer (a `(status, body)` pair, or an exception the real layer raises), else by the
    recorded payload for its endpoint. Nothing reaches the network."""

    name = "recorded"

    def __init__(self):
        super().__init__()
        self.sent: list[Sent] = []
        self.queued: list = []

    def answer(self, *answers) -> None:
        self.queued.extend(answers)

    def request(self, method, url, headers, post_data=None):
        sent = Sent(method.upper(), urlsplit(url).path, dict(headers), dict(parse_qsl(post_data or "")))
        self.sent.append(sent)
        answer = self.queued.pop(0) if self.queued else self.recorded_answer(sent)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return json.dumps(body).encode(), status, {"request-id": "req_test_recorded"}

    def recorded_answer(self, sent: Sent):
        if sent.method == "POST" and sent.path == "/v1/checkout/sessions":
            return 200, {**recorded("checkout_session", order_number=sent.params["client_reference_id"]), "mode": sent.params["mode"]}
        if sent.method == "POST" and sent.path.startswith("/v1/subscriptions/"):
            subscription_id = unquote(sent.path.removeprefix("/v1/subscriptions/"))
            return 200, {**recorded("subscription"), "id": subscription_id, "cancel_at_period_end": sent.params["cancel_at_period_end"] == "true"}
        raise AssertionError(f"No recorded answer for {sent.method} {sent.path}")

    def close(self):
        pass


@pytest.fixture(autouse=True)
def stripe_api(monkeypatch):
    """Every call to Stripe goes to a RecordedStripe, and the SDK's retries do not wait."""
    recorder = RecordedStripe()
    monkeypatch.setattr(stripe_api_module, "http_client", lambda: recorder)
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0)
    return recorder


@pytest.fixture
def order(reader, column):
    plan = column.plans.get(kind=Plan.Kind.ANNUAL)
    order = order_create(user=reader, plan=plan, provider="stripe", checkout_token=uuid.uuid4())
    order.provider_reference = "cs_test_1"
    order.save()
    return order


def signature_header(body: bytes, *, secret=WEBHOOK_SECRET, timestamp=None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(kind, data, *, event_id=None):
    return {"id": event_id or f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind, "data": {"object": data}}


def session_completed(order, *, amount=None, currency="cny", payment_status="paid", **fields):
    return event(
        "checkout.session.completed",
        {
            "id": "cs_test_1",
            "object": "checkout.session",
            "client_reference_id": order.number,
            "metadata": {"order_number": order.number},
            "amount_total": order.amount_fen if amount is None else amount,
            "currency": currency,
            "payment_status": payment_status,
            "payment_intent": "pi_test_1",
            **fields,
        },
    )


def charge_refunded(*, order=None, refunded=True):
    return event(
        "charge.refunded",
        {
            "id": "ch_test_1",
            "object": "charge",
            "payment_intent": "pi_test_1",
            "refunded": refunded,
            "metadata": {"order_number": order.number} if order else {},
        },
    )


def post(client, payload, *, header=None):
    body = json.dumps(payload).encode()
    headers = {} if header == "" else {"HTTP_STRIPE_SIGNATURE": header or signature_header(body)}
    return client.post(reverse("members:stripe-webhook"), body, content_type="application/json", **headers)


def test_a_signed_completed_session_opens_the_column(client, order, reader, column):
    article = make_article(column)
    response = post(client, session_completed(order))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.provider_reference == "pi_test_1"
    assert can_read_in_full(reader, article)
    assert PaymentEvent.objects.get().outcome == "activated"


def test_a_redelivered_event_grants_once(client, order):
    payload = session_completed(order)
    assert [post(client, payload).status_code for _ in range(3)] == [200, 200, 200]
    assert MembershipGrant.objects.filter(order=order).count() == 1
    assert PaymentEvent.objects.count() == 1


def test_a_forged_signature_is_refused_and_changes_nothing(client, order):
    body = json.dumps(session_completed(order)).encode()
    forged = signature_header(body, secret="whsec_guessed")
    response = client.post(reverse("members:stripe-webhook"), body, content_type="application/json", HTTP_STRIPE_SIGNATURE=forged)
    assert response.status_code == 400
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()
    assert Order.objects.get().status == Order.Status.PENDING


def test_a_signature_over_another_body_is_refused(client, order):
    header = signature_header(json.dumps(session_completed(order, amount=1)).encode())
    assert post(client, session_completed(order), header=header).status_code == 400
    assert not Membership.objects.exists()


def test_an_unsigned_event_is_refused(client, order):
    assert post(client, session_completed(order), header="").status_code == 400
    assert post(client, session_completed(order), header="t=123").status_code == 400
    assert not Membership.objects.exists() and not PaymentEvent.objects.exists()


def test_a_replayed_old_event_is_refused(client, order):
    body = json.dumps(session_completed(order)).encode()
    stale = signature_header(body, timestamp=int(time.time()) - 301)
    response = client.post(reverse("members:stripe-webhook"), body, content_type="application/json", HTTP_STRIPE_SIGNATURE=stale)
    assert response.status_code == 400
    assert not Membership.objects.exists()


def test_any_of_several_signatures_may_match_while_the_secret_rolls():
    body = b'{"id": "evt_1", "object": "event", "type": "ping"}'
    good = signature_header(body).split(",")[1]
    header = f"t={int(time.time())},v1={'0' * 64},{good}"
    assert stripe_payments.event_from_webhook(body, header, secret=WEBHOOK_SECRET)["id"] == "evt_1"


def test_the_webhook_accepts_only_post(client):
    assert client.get(reverse("members:stripe-webhook")).status_code == 405


def test_the_webhook_is_absent_without_keys(client, order, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert post(client, session_completed(order)).status_code == 404


def test_an_unknown_event_type_is_acknowledged(client, order):
    assert post(client, event("customer.created", {"id": "cus_1"})).status_code == 200
    assert PaymentEvent.objects.get().outcome.startswith("ignored")
    assert Order.objects.get().status == Order.Status.PENDING


def test_an_event_for_an_unknown_order_is_acknowledged(client, order):
    payload = session_completed(order, client_reference_id="NOSUCHORDER", metadata={})
    assert post(client, payload).status_code == 200
    assert not Membership.objects.exists()


def test_a_wrong_amount_grants_nothing_and_is_recorded(client, order):
    # 200: Stripe retrying the same event would not change the amount; the outcome is for an editor.
    assert post(client, session_completed(order, amount=100)).status_code == 200
    assert not Membership.objects.exists()
    assert Order.objects.get().status == Order.Status.PENDING
    assert PaymentEvent.objects.get().outcome.startswith("refused")


def test_another_currency_grants_nothing(client, order):
    assert post(client, session_completed(order, currency="usd")).status_code == 200
    assert not Membership.objects.exists()


def test_an_unpaid_completed_session_waits_for_the_async_result(client, order):
    post(client, session_completed(order, payment_status="unpaid"))
    assert Order.objects.get().status == Order.Status.PENDING and not Membership.objects.exists()
    succeeded = session_completed(order)
    succeeded["type"] = "checkout.session.async_payment_succeeded"
    post(client, succeeded)
    assert Membership.objects.get().is_active()


def test_a_failed_async_payment_grants_nothing(client, order):
    failed = session_completed(order, payment_status="unpaid")
    failed["type"] = "checkout.session.async_payment_failed"
    assert post(client, failed).status_code == 200
    assert Order.objects.get().status == Order.Status.FAILED
    assert not Membership.objects.exists()


def test_an_expired_session_fails_the_order(client, order):
    expired = session_completed(order, payment_status="unpaid")
    expired["type"] = "checkout.session.expired"
    post(client, expired)
    assert Order.objects.get().status == Order.Status.FAILED and not Membership.objects.exists()


def test_an_expiry_arriving_after_the_payment_changes_nothing(client, order):
    post(client, session_completed(order))
    expired = session_completed(order)
    expired["type"] = "checkout.session.expired"
    post(client, expired)
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_a_refund_ends_access(client, order, reader, column):
    article = make_article(column)
    post(client, session_completed(order))
    assert post(client, charge_refunded(order=order)).status_code == 200
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert not can_read_in_full(reader, article)


def test_a_refund_found_by_payment_intent_ends_access(client, order):
    post(client, session_completed(order))
    post(client, charge_refunded())
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert not Membership.objects.get().is_active()


def test_a_partial_refund_keeps_access(client, order):
    post(client, session_completed(order))
    post(client, charge_refunded(order=order, refunded=False))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_a_refund_before_the_completion_leaves_no_access(client, order):
    post(client, charge_refunded(order=order))
    assert post(client, session_completed(order)).status_code == 200
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert not Membership.objects.exists()


def test_a_refund_without_order_metadata_before_the_completion_leaves_no_access(client, order):
    post(client, charge_refunded())
    assert post(client, session_completed(order)).status_code == 200
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert not Membership.objects.exists()


def test_a_failing_handler_rolls_back_the_event_so_the_retry_does_the_work(client, order, monkeypatch):
    def broken(_):
        raise RuntimeError("database went away")

    monkeypatch.setattr(stripe_payments, "event_handle", broken)
    client.raise_request_exception = False
    payload = session_completed(order)
    assert post(client, payload).status_code == 500
    assert not PaymentEvent.objects.exists()
    monkeypatch.undo()
    assert post(client, payload).status_code == 200
    assert Membership.objects.get().is_active()


def checkout(client, reader, plan):
    client.force_login(reader)
    form = client.get(reverse("members:checkout", args=[plan.pk])).context["form"]
    return client.post(
        reverse("members:checkout", args=[plan.pk]),
        {"provider": "stripe", "checkout_token": form["checkout_token"].value(), "next": form["next"].value()},
    )


def test_checkout_redirects_to_a_stripe_session(client, reader, column, stripe_api):
    response = checkout(client, reader, column.plans.get())
    session = recorded("checkout_session")
    assert response["Location"] == session["url"]
    order = Order.objects.get()
    assert order.provider_reference == session["id"] and order.status == Order.Status.PENDING
    assert not Membership.objects.exists()
    (sent,) = stripe_api.sent
    assert sent.path == "/v1/checkout/sessions" and sent.headers["Idempotency-Key"] == f"checkout-session-{order.number}"
    assert sent.params["mode"] == "payment" and sent.params["client_reference_id"] == order.number
    assert sent.params["line_items[0][price_data][currency]"] == "cny"
    assert sent.params["line_items[0][price_data][unit_amount]"] == "9900"
    assert sent.params["metadata[order_number]"] == order.number
    assert sent.params["payment_intent_data[metadata][order_number]"] == order.number
    assert sent.params["success_url"] == "https://zhuanlan.example.com" + order.get_absolute_url()


def test_checkout_survives_stripe_being_unreachable(client, reader, column, stripe_api):
    stripe_api.answer(*[stripe.APIConnectionError("timed out", should_retry=True)] * 3)
    response = checkout(client, reader, column.plans.get())
    order = Order.objects.get()
    assert response["Location"] == order.get_absolute_url() and order.status == Order.Status.PENDING
    assert len(stripe_api.sent) == 3, "the SDK tried twice more before giving up"


def test_the_session_request_carries_the_secret_key_and_the_sdks_api_version(order, stripe_api):
    assert stripe_payments.checkout_session_create(order)["id"] == recorded("checkout_session")["id"]
    (sent,) = stripe_api.sent
    assert sent.method == "POST" and sent.path == "/v1/checkout/sessions"
    assert sent.headers["Authorization"] == "Bearer sk_test_123"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.headers["Stripe-Version"] == stripe.api_version
    assert sent.params["line_items[0][quantity]"] == "1"


def test_a_lost_connection_is_retried_with_the_same_idempotency_key(order, stripe_api):
    stripe_api.answer(stripe.APIConnectionError("reset by peer", should_retry=True), (500, {"error": {"type": "api_error", "message": "Try again"}}))
    assert stripe_payments.checkout_session_create(order)["url"] == recorded("checkout_session")["url"]
    assert len(stripe_api.sent) == 3
    assert {sent.headers["Idempotency-Key"] for sent in stripe_api.sent} == {f"checkout-session-{order.number}"}


def test_a_refusal_is_not_retried(order, stripe_api):
    stripe_api.answer((400, recorded("error_invalid_currency")))
    with pytest.raises(stripe_payments.StripeError):
        stripe_payments.checkout_session_create(order)
    assert len(stripe_api.sent) == 1


def test_stripe_is_offered_only_with_both_keys(client, reader, column, settings):
    plan = column.plans.get()
    client.force_login(reader)

    def offered():
        form = client.get(reverse("members:checkout", args=[plan.pk])).context["form"]
        return [name for name, _ in form["provider"].field.choices]

    assert "stripe" in offered()
    settings.STRIPE_SECRET_KEY = ""
    assert "stripe" not in offered()


def test_a_signature_header_with_non_ascii_characters_is_refused_not_a_crash(client, order):
    body = json.dumps(session_completed(order)).encode()
    header = f"t={int(time.time())},v1=é{'0' * 63}"
    response = client.post(reverse("members:stripe-webhook"), body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400 and not PaymentEvent.objects.exists()


def test_only_v1_signatures_are_accepted():
    body = b'{"id": "evt_1", "object": "event", "type": "ping"}'
    timestamp = int(time.time())
    digest = signature_header(body, timestamp=timestamp).split("v1=")[1]
    with pytest.raises(stripe_payments.SignatureError):
        stripe_payments.event_from_webhook(body, f"t={timestamp},v0={digest}", secret=WEBHOOK_SECRET)
    with pytest.raises(stripe_payments.SignatureError):
        stripe_payments.event_from_webhook(body, f"t={timestamp},v1={digest.upper()}x", secret=WEBHOOK_SECRET)


def test_an_empty_secret_verifies_nothing():
    body = b'{"id": "evt_1", "object": "event", "type": "ping"}'
    with pytest.raises(stripe_payments.SignatureError):
        stripe_payments.event_from_webhook(body, signature_header(body, secret=""), secret="")


def test_a_timestamp_that_is_not_the_signed_one_is_refused():
    body = b'{"id": "evt_1", "object": "event", "type": "ping"}'
    good = signature_header(body).split(",")[1]
    for timestamp in ("", "１２３", "-5", "1e9", "9" * 40, str(int(time.time()) + 1)):
        with pytest.raises(stripe_payments.SignatureError):
            stripe_payments.event_from_webhook(body, f"t={timestamp},{good}", secret=WEBHOOK_SECRET)


def test_a_signed_body_that_is_not_an_event_is_refused(client):
    for body in (b'["a list"]', b'"a string"', b'{"id": 5, "type": "ping"}', b'{"id": "evt_1"}', "{}".encode("utf-16")):
        header = signature_header(body)
        response = client.post(reverse("members:stripe-webhook"), body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
        assert response.status_code == 400, body
    assert not PaymentEvent.objects.exists()


def test_a_signed_event_of_an_unexpected_shape_is_acknowledged_not_a_crash(client, order):
    for data in (["a list"], None, {"object": "a string"}, {}):
        payload = {"id": f"evt_{uuid.uuid4().hex}", "type": "checkout.session.completed", "data": data}
        assert post(client, payload).status_code == 200
    assert set(PaymentEvent.objects.values_list("outcome", flat=True)) == {"ignored: the event carries no object"}
    assert post(client, session_completed(order, metadata=["x"], client_reference_id=None)).status_code == 200
    assert Order.objects.get().status == Order.Status.PENDING


def test_an_amount_that_is_not_a_whole_number_grants_nothing(client, order):
    order.amount_fen = 1
    order.save()
    assert post(client, session_completed(order, amount=True)).status_code == 200
    assert post(client, session_completed(order, amount=1.0)).status_code == 200
    assert not Membership.objects.exists()


def test_a_second_paid_session_for_a_paid_order_is_flagged_for_a_refund(client, order):
    post(client, session_completed(order))
    assert post(client, session_completed(order, payment_intent="pi_test_2")).status_code == 200
    assert MembershipGrant.objects.count() == 1
    assert PaymentEvent.objects.latest("received_at").outcome == "already paid by pi_test_1: refund pi_test_2"


def test_stripe_refusals_are_reported_with_stripes_own_message(order, stripe_api):
    stripe_api.answer((400, recorded("error_invalid_currency")))
    with pytest.raises(stripe_payments.StripeError, match="refused a Checkout Session with 400: Invalid currency: cny"):
        stripe_payments.checkout_session_create(order)


def test_an_answer_without_a_session_is_a_stripe_error(order, stripe_api):
    stripe_api.answer((200, {"object": "checkout.session", "id": "cs_1", "url": None}))
    with pytest.raises(stripe_payments.StripeError, match="without a session"):
        stripe_payments.checkout_session_create(order)


def test_a_recorded_event_is_verified_applied_and_kept_as_stripe_sent_it(client, order):
    payload = recorded("event_checkout_session_completed", order_number=order.number)
    assert post(client, payload).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.provider_reference == "pi_3SxRecordedPayment"
    assert PaymentEvent.objects.get().payload == payload


def test_a_lifetime_plan_is_always_a_one_off_payment(reader, column):
    lifetime = Plan.objects.create(column=column, kind=Plan.Kind.LIFETIME, price_fen=29900)
    order = order_create(user=reader, plan=lifetime, provider="stripe", checkout_token=uuid.uuid4(), renews_automatically=True)
    assert not order.renews_automatically and not stripe_payments.subscribes(order)


def test_every_handled_event_is_in_the_settings_list():
    settings_text = Path(__file__).resolve().parents[2].joinpath("portal", "settings.py").read_text()
    for kind in stripe_payments.EVENT_HANDLERS:
        if kind not in ("invoice.payment_succeeded", "customer.subscription.created"):  # optional duplicates
            assert kind in settings_text, kind
