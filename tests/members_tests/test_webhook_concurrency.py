"""Five identical deliveries of one notification at the same moment grant one membership.

Only PostgreSQL shows the race honestly: SQLite takes one write lock per transaction, so its
deliveries queue instead of racing."""

import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from members.models import MembershipGrant, Order, PaymentEvent, Plan
from members.services import order_create
from tests.factories import make_column, make_user
from tests.members_tests import test_stripe, test_wechat
from tests.members_tests.test_stripe import stripe_api  # noqa: F401 (fixture: no call reaches Stripe)
from tests.members_tests.test_wechat import merchant_key, platform_certificate, platform_key, wechat_keys  # noqa: F401 (fixtures)

DELIVERIES = 5

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serializes writers, so nothing races",
    ),
]


def order_for(provider):
    plan = make_column(plans=[("annual", 9900)]).plans.get(kind=Plan.Kind.ANNUAL)
    return order_create(user=make_user(), plan=plan, provider=provider, checkout_token=uuid.uuid4())


def deliver_at_once(url, body: bytes, headers: dict) -> list[int]:
    return deliver_together(url, [(body, headers)] * DELIVERIES)


def deliver_together(url, requests: list[tuple[bytes, dict]]) -> list[int]:
    """Post each (body, headers) from its own thread and connection, all released at one moment."""
    barrier = threading.Barrier(len(requests))
    statuses = []

    def deliver(body, headers):
        try:
            client = Client()
            barrier.wait(timeout=10)
            statuses.append(client.post(url, body, content_type="application/json", **headers).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def assert_paid_once(order, provider):
    assert MembershipGrant.objects.filter(order=order).count() == 1
    assert MembershipGrant.objects.count() == 1
    assert PaymentEvent.objects.filter(provider=provider).count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_five_simultaneous_stripe_deliveries_grant_once(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = test_stripe.WEBHOOK_SECRET
    order = order_for("stripe")
    body = json.dumps(test_stripe.session_completed(order)).encode()
    headers = {"HTTP_STRIPE_SIGNATURE": test_stripe.signature_header(body)}
    statuses = deliver_at_once(reverse("members:stripe-webhook"), body, headers)
    assert statuses == [200] * DELIVERIES
    assert_paid_once(order, "stripe")


def test_five_simultaneous_wechat_notifications_grant_once(platform_key, platform_certificate):
    order = order_for("wechat")
    body = json.dumps(test_wechat.notification(test_wechat.transaction_resource(order))).encode()
    headers = test_wechat.signed_headers(body, platform_key, platform_certificate)
    statuses = deliver_at_once(reverse("members:wechat-notify"), body, headers)
    assert statuses == [204] * DELIVERIES
    assert_paid_once(order, "wechat")


def test_partial_refunds_reported_at_the_same_moment_add_up(platform_key, platform_certificate):
    """Each notification's transaction records its own refund; without a lock on the order, neither
    would see the other's and access would stay open after the full price was paid back."""
    from members.models import Membership
    from members.services import order_mark_paid

    order = order_for("wechat")
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    requests = []
    for number, fen in ((1, 3000), (2, 3000), (3, 3900)):
        resource = test_wechat.refund_resource(order, refund=fen, number=number)
        body = json.dumps(test_wechat.notification(resource, event_type="REFUND.SUCCESS")).encode()
        requests.append((body, test_wechat.signed_headers(body, platform_key, platform_certificate)))
    assert deliver_together(reverse("members:wechat-notify"), requests) == [204] * len(requests)
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and not Membership.objects.get().is_active()


def test_one_renewal_invoice_reported_by_two_events_at_once_renews_once(settings):
    """invoice.paid and invoice.payment_succeeded for one invoice, racing: one renewal order, one year."""
    from members.models import Membership, Subscription
    from members.services import order_mark_paid, subscription_sync
    from tests.members_tests import test_subscriptions

    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = test_stripe.WEBHOOK_SECRET
    order = order_for("stripe")
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    subscription_sync(provider="stripe", provider_subscription_id=test_subscriptions.SUBSCRIPTION, order=order, status="active")
    end = Membership.objects.get().expires_at
    bodies = [json.dumps(test_subscriptions.invoice(kind)).encode() for kind in ("invoice.paid", "invoice.payment_succeeded") * 2]
    barrier = threading.Barrier(len(bodies))
    statuses = []

    def deliver(body):
        try:
            client = Client()
            barrier.wait(timeout=10)
            headers = {"HTTP_STRIPE_SIGNATURE": test_stripe.signature_header(body)}
            statuses.append(client.post(reverse("members:stripe-webhook"), body, content_type="application/json", **headers).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200] * len(bodies)
    assert Order.objects.filter(is_automatic_renewal=True).count() == 1
    assert MembershipGrant.objects.count() == 2
    assert (Membership.objects.get().expires_at - end).days == 365
    assert Subscription.objects.count() == 1
