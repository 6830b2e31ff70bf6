"""Card disputes (chargebacks): a dispute pauses the access its payment bought at once; won, the
access comes back; lost, it stays ended. Editors see disputed orders in the admin."""

import uuid

import pytest
from django.urls import reverse

from members.access import can_read_in_full
from members.models import Commission, Membership, Order, PaymentEvent, Plan, ReferralProgram
from members.services import order_create
from tests.factories import make_article, make_editor, make_user
from tests.members_tests.test_stripe import event, post, session_completed, stripe_api, stripe_keys  # noqa: F401 (fixtures)
from tests.members_tests.test_subscriptions import invoice, subscription_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(reader, column):
    plan = column.plans.get(kind=Plan.Kind.ANNUAL)
    return order_create(user=reader, plan=plan, provider="stripe", checkout_token=uuid.uuid4())


@pytest.fixture
def paid(client, order):
    assert post(client, session_completed(order)).status_code == 200
    order.refresh_from_db()
    return order


def dispute(kind="charge.dispute.created", *, status="needs_response", payment_intent="pi_test_1", dispute_id="dp_1", **fields):
    data = {
        "id": dispute_id,
        "object": "dispute",
        "charge": "ch_test_1",
        "payment_intent": payment_intent,
        "amount": 9900,
        "currency": "cny",
        "reason": "fraudulent",
        "status": status,
        **fields,
    }
    return event(kind, data)


def test_a_dispute_pauses_the_access_at_once(client, paid, reader, column):
    article = make_article(column)
    assert post(client, dispute()).status_code == 200
    paid.refresh_from_db()
    assert paid.status == Order.Status.DISPUTED and paid.disputed_at is not None
    assert not can_read_in_full(reader, article)
    assert PaymentEvent.objects.get(event_type="charge.dispute.created").outcome == "disputed: access paused"


def test_a_won_dispute_restores_the_access_once(client, paid, reader, column):
    article = make_article(column)
    end = Membership.objects.get().expires_at
    post(client, dispute())
    assert post(client, dispute("charge.dispute.closed", status="won")).status_code == 200
    paid.refresh_from_db()
    assert paid.status == Order.Status.PAID
    assert can_read_in_full(reader, article) and Membership.objects.get().expires_at == end
    post(client, dispute("charge.dispute.closed", status="won"))  # the same news as another event
    assert Membership.objects.get().is_active() and Order.objects.get().status == Order.Status.PAID


def test_a_lost_dispute_keeps_the_access_ended_and_cancels_the_commission(client, reader, column):
    ReferralProgram.objects.create(column=column, rate_percent=20)
    plan = column.plans.get()
    order = order_create(user=reader, plan=plan, provider="stripe", checkout_token=uuid.uuid4(), referrer=make_user())
    post(client, session_completed(order))
    assert Commission.objects.get().status == Commission.Status.OWED
    post(client, dispute())
    post(client, dispute("charge.dispute.closed", status="lost"))
    order.refresh_from_db()
    assert order.status == Order.Status.CHARGED_BACK
    assert not Membership.objects.get().is_active()
    assert Commission.objects.get().status == Commission.Status.CANCELLED


def test_an_inquiry_closed_without_a_chargeback_counts_as_won(client, paid):
    post(client, dispute(status="warning_needs_response"))
    post(client, dispute("charge.dispute.closed", status="warning_closed"))
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_a_closing_that_overtakes_the_opening_is_still_applied(client, paid):
    post(client, dispute("charge.dispute.closed", status="lost"))
    assert Order.objects.get().status == Order.Status.CHARGED_BACK and not Membership.objects.get().is_active()


def test_an_opening_that_arrives_after_a_won_closing_changes_nothing(client, paid):
    post(client, dispute("charge.dispute.closed", status="won"))
    post(client, dispute())
    assert Order.objects.get().status == Order.Status.PAID and Membership.objects.get().is_active()


def test_a_dispute_found_through_an_expanded_charge_with_the_order_number(client, paid):
    post(client, dispute(payment_intent=None, charge={"id": "ch_test_1", "metadata": {"order_number": paid.number}}))
    assert Order.objects.get().status == Order.Status.DISPUTED


def test_a_dispute_of_an_unknown_payment_is_acknowledged(client, paid):
    assert post(client, dispute(payment_intent="pi_unknown")).status_code == 200
    assert PaymentEvent.objects.get(event_type="charge.dispute.created").outcome.startswith("kept")
    assert Order.objects.get().status == Order.Status.PAID


def test_a_dispute_with_an_unexpected_shape_does_not_crash(client, paid):
    assert post(client, dispute(payment_intent=12, charge=["not", "an", "object"])).status_code == 200
    assert post(client, dispute("charge.dispute.closed", status=None)).status_code == 200
    assert Order.objects.get().status == Order.Status.PAID


def test_a_dispute_of_a_renewal_payment_pauses_the_membership(client, reader, column):
    plan = column.plans.get()
    order = order_create(user=reader, plan=plan, provider="stripe", checkout_token=uuid.uuid4(), renews_automatically=True)
    post(client, subscription_session(order))
    post(client, invoice())
    post(client, dispute(payment_intent="pi_in_renewal_1"))
    renewal = Order.objects.get(is_automatic_renewal=True)
    assert renewal.status == Order.Status.DISPUTED and not Membership.objects.get().is_active()


def test_editors_find_disputed_orders_in_the_admin(client, paid):
    post(client, dispute())
    client.force_login(make_editor())
    html = client.get(reverse("admin:members_order_changelist") + "?status__exact=disputed").content.decode()
    assert paid.number in html


def test_the_reader_is_told_why_a_disputed_order_no_longer_opens_the_column(client, paid, reader):
    post(client, dispute())
    client.force_login(reader)
    html = client.get(paid.get_absolute_url()).content.decode()
    assert "order-status--disputed" in html and 'class="notice"' in html
