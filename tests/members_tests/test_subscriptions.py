"""Annual memberships that renew themselves through Stripe subscriptions: started at checkout,
renewed once per paid invoice, stopped by the reader or by Stripe, and robust to events that
arrive twice, late or out of order."""

import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.access import can_read_in_full
from members.models import Membership, MembershipGrant, Order, PaymentEvent, Plan, Subscription
from members.payments import stripe as stripe_payments
from members.services import order_create
from tests.factories import make_article, make_coupon, make_user
from tests.members_tests.test_stripe import event, post, recorded, stripe_api, stripe_keys  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

SUBSCRIPTION = "sub_test_1"


@pytest.fixture
def plan(column):
    return column.plans.get(kind=Plan.Kind.ANNUAL)


@pytest.fixture
def order(reader, plan):
    order = order_create(user=reader, plan=plan, provider="stripe", checkout_token=uuid.uuid4(), renews_automatically=True)
    order.provider_reference = "cs_test_sub"
    order.save()
    return order


def at(seconds_ago=0):
    return int(time.time()) - seconds_ago


def dated(payload, seconds_ago=0):
    payload["created"] = at(seconds_ago)
    return payload


def subscription_session(order, seconds_ago=0, **fields):
    return dated(
        event(
            "checkout.session.completed",
            {
                "id": "cs_test_sub",
                "object": "checkout.session",
                "mode": "subscription",
                "client_reference_id": order.number,
                "metadata": {"order_number": order.number},
                "amount_total": order.amount_fen,
                "currency": "cny",
                "payment_status": "paid",
                "payment_intent": None,
                "invoice": "in_first",
                "subscription": SUBSCRIPTION,
                **fields,
            },
        ),
        seconds_ago,
    )


def invoice(kind="invoice.paid", *, invoice_id="in_renewal_1", reason="subscription_cycle", amount=9900, order=None, seconds_ago=0, **fields):
    data = {
        "id": invoice_id,
        "object": "invoice",
        "billing_reason": reason,
        "subscription": SUBSCRIPTION,
        "subscription_details": {"metadata": {"order_number": order.number} if order else {}},
        "amount_paid": amount,
        "currency": "cny",
        "payment_intent": f"pi_{invoice_id}",
        "lines": {"data": [{"period": {"start": at(), "end": at() + 365 * 86400}}]},
        **fields,
    }
    return dated(event(kind, data), seconds_ago)


def basil_invoice(*, invoice_id="in_renewal_1", order=None):
    """The shape of API version 2025-03-31 and later: the subscription under parent, no payment_intent."""
    data = {
        "id": invoice_id,
        "object": "invoice",
        "billing_reason": "subscription_cycle",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": SUBSCRIPTION, "metadata": {"order_number": order.number} if order else {}},
        },
        "amount_paid": 9900,
        "currency": "cny",
        "lines": {"data": [{"period": {"end": at() + 365 * 86400}}]},
    }
    return dated(event("invoice.paid", data))


def subscription_event(kind="customer.subscription.updated", *, seconds_ago=0, status="active", cancel_at_period_end=False, order=None):
    data = {
        "id": SUBSCRIPTION,
        "object": "subscription",
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "current_period_end": at() + 300 * 86400,
        "metadata": {"order_number": order.number} if order else {},
    }
    return dated(event(kind, data), seconds_ago)


def subscribed(client, order):
    assert post(client, subscription_session(order)).status_code == 200
    return Subscription.objects.get()


def checkout_post(client, plan, **fields):
    form = client.get(reverse("members:checkout", args=[plan.pk])).context["form"]
    data = {"provider": "stripe", "checkout_token": form["checkout_token"].value(), "next": form["next"].value(), **fields}
    return client.post(reverse("members:checkout", args=[plan.pk]), data)


@pytest.fixture
def sessions(stripe_api):
    """The form bodies of the Checkout Sessions asked for."""

    def sent():
        return [request.params for request in stripe_api.sent if request.path == "/v1/checkout/sessions"]

    return sent


# Checkout


def test_renewing_automatically_is_offered_ticked_for_an_annual_plan(client, reader, plan):
    client.force_login(reader)
    html = client.get(reverse("members:checkout", args=[plan.pk])).content.decode()
    assert 'name="renew"' in html and "checked" in html.split('name="renew"')[1].split(">")[0]
    assert "¥99" in html


def test_a_ticked_renewal_checks_out_as_a_yearly_subscription(client, reader, plan, sessions):
    client.force_login(reader)
    checkout_post(client, plan, renew="on")
    (params,) = sessions()
    order = Order.objects.get()
    assert order.renews_automatically
    assert params["mode"] == "subscription"
    assert params["line_items[0][price_data][recurring][interval]"] == "year"
    assert params["line_items[0][price_data][unit_amount]"] == "9900"
    assert params["subscription_data[metadata][order_number]"] == order.number
    assert "payment_intent_data[metadata][order_number]" not in params  # Stripe refuses it in subscription mode
    assert params["customer_email"] == reader.email


def test_an_unticked_renewal_is_a_one_off_payment(client, reader, plan, sessions):
    client.force_login(reader)
    checkout_post(client, plan)
    (params,) = sessions()
    assert params["mode"] == "payment" and "line_items[0][price_data][recurring][interval]" not in params
    assert not Order.objects.get().renews_automatically


def test_a_coupon_makes_it_a_one_off_payment_and_says_so(client, reader, plan, column, sessions):
    coupon = make_coupon(column, percent_off=20)
    client.force_login(reader)
    page = client.get(reverse("members:checkout", args=[plan.pk]) + f"?coupon={coupon.code}").content.decode()
    assert 'name="renew"' not in page and "不会自动续费" in page
    checkout_post(client, plan, coupon=coupon.code, renew="on")
    (params,) = sessions()
    assert params["mode"] == "payment" and params["line_items[0][price_data][unit_amount]"] == "7920"
    assert not Order.objects.get().renews_automatically


def test_renewal_is_not_offered_for_lifetime_plans_or_without_stripe(client, reader, column, settings):
    lifetime = Plan.objects.create(column=column, kind=Plan.Kind.LIFETIME, price_fen=29900)
    client.force_login(reader)
    assert 'name="renew"' not in client.get(reverse("members:checkout", args=[lifetime.pk])).content.decode()
    settings.STRIPE_SECRET_KEY = ""
    annual = column.plans.get(kind=Plan.Kind.ANNUAL)
    assert 'name="renew"' not in client.get(reverse("members:checkout", args=[annual.pk])).content.decode()


def test_renewal_for_another_method_is_ignored(reader, plan):
    order = order_create(user=reader, plan=plan, provider="manual", checkout_token=uuid.uuid4(), renews_automatically=False)
    assert not stripe_payments.subscribes(order)


def test_a_reader_already_renewing_is_not_offered_a_second_subscription(client, reader, plan, order, sessions):
    subscribed(client, order)
    client.force_login(reader)
    page = client.get(reverse("members:checkout", args=[plan.pk])).content.decode()
    assert 'name="renew"' not in page and "你的会员已开启自动续费" in page
    checkout_post(client, plan, renew="on")
    assert sessions()[-1]["mode"] == "payment"


# The first payment


def test_a_completed_subscription_session_pays_the_order_and_records_the_subscription(client, order, reader, column):
    article = make_article(column)
    subscription = subscribed(client, order)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.subscription == subscription
    assert order.provider_invoice_id == "in_first"
    assert (subscription.user, subscription.column, subscription.plan_id) == (reader, column, order.plan_id)
    assert subscription.renews and subscription.status == Subscription.Status.ACTIVE
    assert can_read_in_full(reader, article)
    assert PaymentEvent.objects.get().outcome == "activated; renews automatically"


def test_the_first_invoice_records_the_payment_intent_without_granting_again(client, order):
    subscribed(client, order)
    assert post(client, invoice(invoice_id="in_first", reason="subscription_create", order=order)).status_code == 200
    order.refresh_from_db()
    assert order.provider_reference == "pi_in_first"
    assert MembershipGrant.objects.count() == 1 and Order.objects.count() == 1


def test_a_first_invoice_overtaking_the_session_pays_the_order_once(client, order):
    post(client, invoice(invoice_id="in_first", reason="subscription_create", order=order))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and Subscription.objects.get().renews
    post(client, subscription_session(order))
    assert MembershipGrant.objects.count() == 1 and Subscription.objects.count() == 1


# Renewals


def test_a_renewal_invoice_extends_the_membership_by_a_year_and_sends_a_receipt(client, order, reader, django_capture_on_commit_callbacks):
    subscribed(client, order)
    end = Membership.objects.get().expires_at
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, invoice()).status_code == 200
    renewal = Order.objects.get(is_automatic_renewal=True)
    assert renewal.status == Order.Status.PAID and renewal.amount_fen == 9900
    assert renewal.provider_invoice_id == "in_renewal_1" and renewal.provider_reference == "pi_in_renewal_1"
    assert renewal.subscription == Subscription.objects.get()
    assert (Membership.objects.get().expires_at - end).days == 365
    assert len(mail.outbox) == 1 and renewal.number in mail.outbox[0].subject
    assert "renewed automatically" in mail.outbox[0].body or "自动续费" in mail.outbox[0].body
    assert PaymentEvent.objects.get(event_type="invoice.paid").outcome == "renewal activated"


def test_one_invoice_reported_by_two_events_renews_once(client, order):
    subscribed(client, order)
    post(client, invoice("invoice.paid"))
    end = Membership.objects.get().expires_at
    assert post(client, invoice("invoice.payment_succeeded")).status_code == 200
    assert Order.objects.filter(is_automatic_renewal=True).count() == 1
    assert Membership.objects.get().expires_at == end
    assert PaymentEvent.objects.count() == 3


def test_each_yearly_invoice_is_its_own_renewal(client, order):
    subscribed(client, order)
    end = Membership.objects.get().expires_at
    post(client, invoice(invoice_id="in_2027"))
    post(client, invoice(invoice_id="in_2028"))
    assert Order.objects.filter(is_automatic_renewal=True, status=Order.Status.PAID).count() == 2
    assert (Membership.objects.get().expires_at - end).days == 730


def test_a_renewal_after_the_end_starts_from_today(client, order, reader, column):
    subscribed(client, order)
    Membership.objects.update(expires_at=timezone.now() - timedelta(days=3))
    post(client, invoice())
    membership = Membership.objects.get()
    assert membership.is_active() and 364 <= (membership.expires_at - timezone.now()).days <= 365


def test_a_renewal_is_charged_at_the_subscribed_price_even_after_a_price_change(client, order, plan):
    subscribed(client, order)
    plan.price_fen = 12900
    plan.save()
    post(client, invoice(amount=9900))
    assert Order.objects.get(is_automatic_renewal=True).amount_fen == 9900


def test_a_renewal_in_another_currency_is_refused(client, order):
    subscribed(client, order)
    end = Membership.objects.get().expires_at
    assert post(client, invoice(currency="usd")).status_code == 200
    assert not Order.objects.filter(is_automatic_renewal=True).exists()
    assert Membership.objects.get().expires_at == end
    assert PaymentEvent.objects.get(event_type="invoice.paid").outcome.startswith("refused")


def test_a_renewal_of_the_newer_invoice_shape_works_and_a_refund_finds_it(client, order):
    subscribed(client, order)
    invoice_payment = {"object": "invoice_payment", "invoice": "in_renewal_1", "payment": {"type": "payment_intent", "payment_intent": "pi_basil"}}
    post(client, dated(event("invoice_payment.paid", invoice_payment)))
    assert post(client, basil_invoice()).status_code == 200
    renewal = Order.objects.get(is_automatic_renewal=True)
    assert renewal.status == Order.Status.PAID and renewal.provider_reference == "pi_basil"
    refund = event("charge.refunded", {"id": "ch_basil", "object": "charge", "payment_intent": "pi_basil", "refunded": True, "metadata": {}})
    post(client, refund)
    renewal.refresh_from_db()
    assert renewal.status == Order.Status.REFUNDED and not Membership.objects.get().is_active()


def test_the_payment_intent_reported_after_the_renewal_is_recorded(client, order):
    subscribed(client, order)
    post(client, basil_invoice())
    assert Order.objects.get(is_automatic_renewal=True).provider_reference == "in_renewal_1"
    post(client, dated(event("invoice_payment.paid", {"invoice": "in_renewal_1", "payment": {"payment_intent": "pi_late"}})))
    assert Order.objects.get(is_automatic_renewal=True).provider_reference == "pi_late"


def test_a_refund_naming_only_the_invoice_ends_the_renewal(client, order):
    subscribed(client, order)
    post(client, invoice(payment_intent=None))
    post(client, event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_other", "invoice": "in_renewal_1", "refunded": True}))
    assert Order.objects.get(is_automatic_renewal=True).status == Order.Status.REFUNDED


def test_a_renewal_for_a_subscription_not_yet_recorded_is_found_through_its_metadata(client, order):
    post(client, invoice(order=order))  # the session's completion was lost; the metadata names the order
    subscription = Subscription.objects.get()
    assert subscription.user_id == order.user_id
    assert Order.objects.get(is_automatic_renewal=True).status == Order.Status.PAID


def test_a_recent_renewal_nobody_can_place_is_handed_back_for_a_retry(client, order):
    payload = invoice()
    response = post(client, payload)
    assert response.status_code == 409
    assert not PaymentEvent.objects.exists() and not Order.objects.filter(is_automatic_renewal=True).exists()
    subscribed(client, order)
    assert post(client, payload).status_code == 200  # Stripe's retry
    assert Order.objects.get(is_automatic_renewal=True).status == Order.Status.PAID


def test_an_old_event_nobody_can_place_is_acknowledged_and_left_for_an_editor(client, order):
    assert post(client, invoice(seconds_ago=2 * 3600)).status_code == 200
    assert PaymentEvent.objects.get().outcome.startswith("ignored")
    assert not Order.objects.filter(is_automatic_renewal=True).exists()


def test_an_invoice_without_a_subscription_is_ignored(client, order):
    assert post(client, invoice(subscription=None, subscription_details=None)).status_code == 200
    assert PaymentEvent.objects.get().outcome == "ignored: not a subscription invoice"


# Failures and cancellation


def test_a_failed_renewal_payment_leaves_the_membership_to_end_on_its_date(client, order):
    subscribed(client, order)
    end = Membership.objects.get().expires_at
    assert post(client, invoice("invoice.payment_failed")).status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.PAST_DUE and not subscription.renews
    membership = Membership.objects.get()
    assert membership.is_active() and membership.expires_at == end
    assert not Order.objects.filter(is_automatic_renewal=True).exists()


def test_cancelling_at_the_period_end_stops_renewing_but_keeps_access(client, order):
    subscribed(client, order)
    post(client, subscription_event(cancel_at_period_end=True))
    subscription = Subscription.objects.get()
    assert subscription.cancel_at_period_end and not subscription.renews
    assert Membership.objects.get().is_active()


def test_a_cancel_at_date_from_newer_dashboards_also_stops_renewing(client, order):
    subscribed(client, order)
    payload = subscription_event()
    payload["data"]["object"]["cancel_at"] = at() + 86400
    post(client, payload)
    assert not Subscription.objects.get().renews


def test_a_deleted_subscription_ends_renewal_and_keeps_the_paid_year(client, order):
    subscribed(client, order)
    post(client, subscription_event("customer.subscription.deleted", status="canceled"))
    assert Subscription.objects.get().status == Subscription.Status.CANCELED
    assert Membership.objects.get().is_active()
    post(client, subscription_event(status="active"))  # a late update does not bring it back
    assert Subscription.objects.get().status == Subscription.Status.CANCELED


def test_an_older_update_arriving_late_does_not_undo_a_newer_one(client, order):
    post(client, subscription_session(order, seconds_ago=600))
    post(client, subscription_event(cancel_at_period_end=True, seconds_ago=10))
    post(client, subscription_event(cancel_at_period_end=False, seconds_ago=60))
    assert Subscription.objects.get().cancel_at_period_end


def test_a_subscription_event_before_the_session_records_the_subscription(client, order):
    post(client, subscription_event("customer.subscription.created", status="incomplete", order=order, seconds_ago=5))
    assert Subscription.objects.get().status == Subscription.Status.INCOMPLETE
    post(client, subscription_session(order))
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE


def test_a_subscription_of_someone_else_is_ignored(client):
    assert post(client, subscription_event()).status_code == 200
    assert not Subscription.objects.exists()
    assert PaymentEvent.objects.get().outcome == "ignored: not a subscription of ours"


# The reader's switch in My columns


@pytest.fixture
def api(stripe_api):
    """The renewal switches sent to Stripe, as (path, form body, idempotency key)."""

    def sent():
        return [(request.path, request.params, request.headers["Idempotency-Key"]) for request in stripe_api.sent]

    return sent


def renewal_url(subscription):
    return reverse("members:subscription-renewal", args=[subscription.pk])


def test_a_reader_cancels_and_resumes_automatic_renewal(client, order, reader, api):
    subscription = subscribed(client, order)
    client.force_login(reader)
    page = client.post(renewal_url(subscription), {"action": "cancel"}, follow=True).content.decode()
    ((path, params, key),) = api()
    assert path == f"/v1/subscriptions/{SUBSCRIPTION}" and params == {"cancel_at_period_end": "true"}
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end and not subscription.renews
    # The recorded answer has the newer shape: the period's end is on the subscription's item.
    assert subscription.current_period_end.timestamp() == recorded("subscription")["items"]["data"][0]["current_period_end"]
    assert "Resume renewal" in page or "恢复自动续费" in page
    assert Membership.objects.get().is_active()
    client.post(renewal_url(subscription), {"action": "resume"})
    assert api()[-1][1] == {"cancel_at_period_end": "false"} and api()[-1][2] != key
    subscription.refresh_from_db()
    assert subscription.renews


def test_a_refusal_from_stripe_keeps_the_renewal_and_tells_the_reader(client, order, reader, stripe_api, caplog):
    subscription = subscribed(client, order)
    stripe_api.answer((404, recorded("error_resource_missing")))
    client.force_login(reader)
    response = client.post(renewal_url(subscription), {"action": "cancel"}, follow=True)
    subscription.refresh_from_db()
    assert subscription.renews
    assert [message.level_tag for message in response.context["messages"]] == ["error"]
    assert "No such subscription: 'sub_test_1'" in caplog.text


def test_only_the_subscriber_may_change_the_renewal_and_only_by_post(client, order, api):
    subscription = subscribed(client, order)
    client.force_login(make_user())
    assert client.post(renewal_url(subscription), {"action": "cancel"}).status_code == 404
    client.force_login(order.user)
    assert client.get(renewal_url(subscription)).status_code == 405
    assert api() == []


def test_an_ended_subscription_cannot_be_resumed(client, order, reader, api):
    subscription = subscribed(client, order)
    post(client, subscription_event("customer.subscription.deleted", status="canceled"))
    client.force_login(reader)
    client.post(renewal_url(subscription), {"action": "resume"})
    assert api() == [] and Subscription.objects.get().status == Subscription.Status.CANCELED


def test_the_renewal_request_reaches_stripe_form_encoded_with_the_id_escaped(stripe_api, order, reader, column):
    subscription = Subscription.objects.create(
        user=reader, column=column, plan=order.plan, provider="stripe", provider_subscription_id="sub_x/../y", status="active"
    )
    stripe_payments.subscription_renewal_set(subscription, renew=False)
    (sent,) = stripe_api.sent
    assert sent.method == "POST" and sent.path == "/v1/subscriptions/sub_x%2F..%2Fy"
    assert sent.params == {"cancel_at_period_end": "true"} and sent.headers["Idempotency-Key"].startswith("subscription-renewal-")
    assert Subscription.objects.get().cancel_at_period_end


def test_an_answer_about_another_subscription_changes_nothing(stripe_api, order, reader, column):
    subscription = Subscription.objects.create(
        user=reader, column=column, plan=order.plan, provider="stripe", provider_subscription_id=SUBSCRIPTION, status="active"
    )
    stripe_api.answer((200, {**recorded("subscription"), "id": "sub_someone_else"}))
    with pytest.raises(stripe_payments.StripeError, match="another subscription"):
        stripe_payments.subscription_renewal_set(subscription, renew=False)
    assert not Subscription.objects.get().cancel_at_period_end


def test_a_refunded_renewal_stops_the_subscription_renewing(client, order, stripe_api, django_capture_on_commit_callbacks):
    """Otherwise next year's charge would open the membership the refund just ended."""
    subscribed(client, order)
    post(client, invoice(payment_intent=None))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_x", "invoice": "in_renewal_1", "refunded": True}))
    assert [(sent.path, sent.params) for sent in stripe_api.sent] == [(f"/v1/subscriptions/{SUBSCRIPTION}", {"cancel_at_period_end": "true"})]
    assert Subscription.objects.get().cancel_at_period_end
    assert not Membership.objects.get().is_active()


def test_a_refund_is_recorded_even_when_stripe_will_not_stop_the_renewal(client, order, stripe_api, django_capture_on_commit_callbacks, caplog):
    subscribed(client, order)
    post(client, invoice(payment_intent=None))
    stripe_api.answer(*[(503, {"error": {"type": "api_error", "message": "Stripe is down"}})] * 3)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_x", "invoice": "in_renewal_1", "refunded": True}))
    assert response.status_code == 200
    assert Order.objects.get(is_automatic_renewal=True).status == Order.Status.REFUNDED
    assert not Subscription.objects.get().cancel_at_period_end
    assert "Could not stop renewing" in caplog.text
