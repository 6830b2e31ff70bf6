"""Free trials: a plan's days, once per reader and column, without payment details; a trial
membership that simply ends, and Stripe's own trial for a subscription bought with one."""

import re
import threading
import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from members.access import can_read_in_full
from members.models import Membership, MembershipGrant, Order, PaymentEvent, Plan, RenewalReminder, Subscription, Trial
from members.renewal_reminders import renewal_reminders_create
from members.services import order_create, order_mark_paid
from members.tasks import renewal_reminder_send_task
from tests.factories import make_article, make_column, make_editor, make_membership, make_user
from tests.members_tests.test_stripe import event, post, stripe_api, stripe_keys  # noqa: F401 (fixtures)
from tests.members_tests.test_subscriptions import SUBSCRIPTION, at, checkout_post, dated, invoice, subscription_event

pytestmark = pytest.mark.django_db

TRIAL_DAYS = 7
ALREADY_HAD = "You have already had your free trial of this column."


@pytest.fixture
def plan(column):
    plan = column.plans.get(kind=Plan.Kind.ANNUAL)
    plan.trial_days = TRIAL_DAYS
    plan.save()
    return plan


@pytest.fixture
def article(column):
    return make_article(column)


@pytest.fixture
def clock(monkeypatch):
    def travel_by(delta):
        now = timezone.now() + delta
        monkeypatch.setattr(timezone, "now", lambda: now)

    return travel_by


def start_trial(client, plan, *, next_url=""):
    return client.post(reverse("members:trial", args=[plan.column.slug, plan.pk]), {"next": next_url})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def trial_form_action(plan) -> str:
    return f'action="{reverse("members:trial", args=[plan.column.slug, plan.pk])}"'


def fresh(user):
    """The user again, without what this request remembered about the columns they may read."""
    return type(user).objects.get(pk=user.pk)


# The trial membership


def test_the_button_opens_the_column_for_the_plans_days(client, reader, plan, article):
    client.force_login(reader)
    response = start_trial(client, plan, next_url=article.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    membership = Membership.objects.get(user=reader, column=plan.column)
    assert membership.source == Membership.Source.TRIAL and membership.is_trial
    assert timedelta(days=TRIAL_DAYS) - (membership.expires_at - timezone.now()) < timedelta(minutes=1)
    grant = MembershipGrant.objects.get(membership=membership)
    assert (grant.source, grant.days, grant.order, grant.expires_after) == (Membership.Source.TRIAL, TRIAL_DAYS, None, membership.expires_at)
    trial = Trial.objects.get()
    assert (trial.user, trial.column, trial.plan, trial.how, trial.ends_at) == (reader, plan.column, plan, Trial.How.MEMBERSHIP, membership.expires_at)
    assert can_read_in_full(fresh(reader), article)
    assert not Order.objects.exists()


def test_a_second_trial_of_the_column_is_refused_and_changes_nothing(client, reader, plan, clock):
    client.force_login(reader)
    start_trial(client, plan)
    clock(timedelta(days=TRIAL_DAYS + 1))
    response = start_trial(client, plan)
    assert response.status_code == 302 and response["Location"] == reverse("members:join", args=[plan.column.slug])
    assert messages_of(response)[-1] == gettext(ALREADY_HAD)
    assert Trial.objects.count() == 1 and MembershipGrant.objects.count() == 1
    assert not Membership.objects.get().is_active()


def test_deleting_the_trial_membership_does_not_reopen_the_trial(client, reader, plan):
    client.force_login(reader)
    start_trial(client, plan)
    Membership.objects.all().delete()
    response = start_trial(client, plan)
    assert messages_of(response)[-1] == gettext(ALREADY_HAD)
    assert not Membership.objects.exists() and Trial.objects.count() == 1


def test_a_trial_of_another_column_is_fine(client, reader, plan):
    other = make_column(plans=[("annual", 4900)]).plans.get()
    other.trial_days = 3
    other.save()
    client.force_login(reader)
    start_trial(client, plan)
    start_trial(client, other)
    assert sorted(Trial.objects.values_list("column_id", flat=True)) == sorted([plan.column_id, other.column_id])
    assert Membership.objects.filter(user=reader, source=Membership.Source.TRIAL).active().count() == 2


def test_the_trial_ends_by_itself_and_the_paywall_says_so(client, reader, plan, article, clock):
    client.force_login(reader)
    start_trial(client, plan)
    end = Membership.objects.get().expires_at
    clock(end - timedelta(minutes=1) - timezone.now())
    assert can_read_in_full(fresh(reader), article)
    clock(timedelta(minutes=2))
    assert not can_read_in_full(fresh(reader), article)
    page = client.get(article.get_absolute_url()).content.decode()
    ended = re.search(r'<p class="paywall__trial-ended">([^<]*)</p>', page)
    assert ended and timezone.localtime(end).strftime("%Y-%m-%d") in ended.group(1)
    join_button = re.search(r'<p class="paywall__actions">\s*<a class="button"[^>]*>([^<]*)</a>', page).group(1)
    assert join_button == gettext("Join the column") != gettext("Renew")
    assert trial_form_action(plan) not in page  # had one: not offered again


def test_no_trial_with_an_active_membership(client, reader, plan, column):
    make_membership(reader, column, days=100)
    client.force_login(reader)
    assert trial_form_action(plan) not in client.get(reverse("members:join", args=[column.slug])).content.decode()
    response = start_trial(client, plan)
    assert messages_of(response)[-1] == gettext("You can already read this column.")
    assert not Trial.objects.exists() and Membership.objects.get().source == Membership.Source.PURCHASE


def test_no_trial_for_a_former_member(client, reader, plan, column, article):
    make_membership(reader, column, expired=True)
    client.force_login(reader)
    assert trial_form_action(plan) not in client.get(article.get_absolute_url()).content.decode()
    response = start_trial(client, plan)
    assert messages_of(response)[-1] == gettext("Free trials are for readers new to this column. Choose a plan to keep reading.")
    assert not Trial.objects.exists() and not Membership.objects.get().is_active()


def test_a_plan_without_trial_days_shows_no_button_and_refuses_the_post(client, reader, column, article):
    plan = column.plans.get()
    client.force_login(reader)
    for url in (reverse("members:join", args=[column.slug]), column.get_absolute_url(), article.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "trial-offer" not in page and "/trial/" not in page, url
    assert messages_of(start_trial(client, plan))[-1] == gettext("This plan has no free trial.")
    assert not Membership.objects.exists() and not Trial.objects.exists()


def test_the_offer_shows_on_the_join_page_the_column_page_and_the_paywall(client, reader, plan, column, article):
    client.force_login(reader)
    for url in (reverse("members:join", args=[column.slug]), column.get_absolute_url(), article.get_absolute_url()):
        page = client.get(url).content.decode()
        assert trial_form_action(plan) in page and 'name="csrfmiddlewaretoken"' in page.split(trial_form_action(plan))[1][:400], url


def test_visitors_get_a_sign_in_link_that_comes_back_to_the_join_page(client, plan, column, article):
    login_link = f'{reverse("account_login")}?next={reverse("members:join", args=[column.slug])}"'
    for url in (reverse("members:join", args=[column.slug]), column.get_absolute_url(), article.get_absolute_url()):
        page = client.get(url).content.decode()
        assert login_link in page and trial_form_action(plan) not in page, url
    response = start_trial(client, plan)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert not Membership.objects.exists()


def test_the_trial_post_needs_a_csrf_token(reader, plan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    assert start_trial(client, plan).status_code == 403
    assert not Trial.objects.exists()


def test_buying_during_a_trial_starts_the_paid_year_now(client, reader, plan, clock):
    """The paid year is not added after the trial's remaining days: it starts when it is paid."""
    client.force_login(reader)
    start_trial(client, plan)
    clock(timedelta(days=2))
    order = order_create(user=reader, plan=plan, provider="manual", checkout_token=uuid.uuid4())
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    membership = Membership.objects.get()
    assert membership.source == Membership.Source.PURCHASE
    assert abs(membership.expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)
    assert messages_of(start_trial(client, plan))[-1] == gettext(ALREADY_HAD)


def test_editors_set_the_days_on_the_plan_and_see_trials_read_only(client, reader, plan):
    client.force_login(reader)
    start_trial(client, plan)
    client.force_login(make_editor())
    plan_page = client.get(reverse("admin:members_plan_change", args=[plan.pk])).content.decode()
    assert 'name="trial_days"' in plan_page and 'value="7"' in plan_page.split('name="trial_days"')[1][:80]
    listing = client.get(reverse("admin:members_trial_changelist")).content.decode()
    assert reader.email in listing and plan.column.title in listing
    assert client.get(reverse("admin:members_trial_add")).status_code == 403
    trial = Trial.objects.get()
    assert client.post(reverse("admin:members_trial_delete", args=[trial.pk]), {"post": "yes"}).status_code == 403
    assert Trial.objects.filter(pk=trial.pk).exists()


# Two clicks at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serializes writers, so nothing races")
def test_two_posts_at_the_same_moment_make_one_trial():
    column = make_column(plans=[("annual", 9900)])
    plan = column.plans.get()
    plan.trial_days = TRIAL_DAYS
    plan.save()
    reader = make_user()
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(reader)
    barrier = threading.Barrier(len(clients))
    statuses = []

    def click(client):
        try:
            barrier.wait(timeout=10)
            statuses.append(start_trial(client, plan).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [302, 302]
    assert Trial.objects.count() == 1 and MembershipGrant.objects.count() == 1
    assert Membership.objects.get().source == Membership.Source.TRIAL


# Trial-ending emails instead of renewal reminders


def test_a_trial_gets_a_trial_ending_email_with_the_join_link_not_a_renewal_reminder(client, reader, plan, clock):
    client.force_login(reader)
    start_trial(client, plan)
    end = Membership.objects.get().expires_at
    clock(-timedelta(seconds=1))  # the week-before reminder's moment, for a seven-day trial
    assert renewal_reminders_create(now=timezone.now()) == 0
    clock(end - timedelta(hours=12) - timezone.now())
    assert renewal_reminders_create(now=timezone.now()) == 1
    reminder = RenewalReminder.objects.get()
    assert reminder.kind == RenewalReminder.Kind.DAY_BEFORE
    renewal_reminder_send_task.enqueue(reminder_id=reminder.pk)
    (message,) = mail.outbox
    assert message.to == [reader.email]
    assert reverse("members:join", args=[plan.column.slug]) in message.body
    assert reverse("members:checkout", args=[plan.pk]) not in message.body
    assert gettext("Renew in one click") not in message.body and gettext("Choose a plan") in message.body


# Stripe's trial


@pytest.fixture
def sessions(stripe_api):  # noqa: F811 (the fixture imported above)
    def sent():
        return [request.params for request in stripe_api.sent if request.path == "/v1/checkout/sessions"]

    return sent


@pytest.fixture
def stripe_order(reader, plan):
    return order_create(user=reader, plan=plan, provider="stripe", checkout_token=uuid.uuid4(), renews_automatically=True)


def test_a_new_reader_subscribing_gets_stripes_trial(client, reader, plan, sessions):
    client.force_login(reader)
    page = client.get(reverse("members:checkout", args=[plan.pk])).content.decode()
    assert 'class="checkout-form__trial"' in page
    checkout_post(client, plan, renew="on")
    (params,) = sessions()
    assert params["mode"] == "subscription" and params["subscription_data[trial_period_days]"] == str(TRIAL_DAYS)
    assert "subscription_data[trial_end]" not in params


def test_a_reader_in_a_trial_membership_is_charged_when_it_ends(client, reader, plan, sessions):
    client.force_login(reader)
    start_trial(client, plan)
    checkout_post(client, plan, renew="on")
    (params,) = sessions()
    assert params["subscription_data[trial_end]"] == str(int(Membership.objects.get().expires_at.timestamp()))
    assert "subscription_data[trial_period_days]" not in params


def test_no_stripe_trial_for_a_former_member_a_one_off_payment_or_a_plan_without_one(client, reader, plan, column, sessions):
    client.force_login(reader)
    checkout_post(client, plan)  # paid once: no subscription, no trial
    make_membership(reader, column, expired=True)
    checkout_post(client, plan, renew="on")
    other = make_column(plans=[("annual", 4900)]).plans.get()
    checkout_post(client, other, renew="on")
    assert [key for params in sessions() for key in params if "trial" in key] == []
    assert [params["mode"] for params in sessions()] == ["payment", "subscription", "subscription"]


def trialing(order, *, ends_at, kind="customer.subscription.created"):
    payload = subscription_event(kind, status="trialing", order=order)
    payload["data"]["object"]["trial_end"] = int(ends_at.timestamp())
    return payload


def trial_invoice(order, *, ends_at):
    payload = invoice(invoice_id="in_trial", reason="subscription_create", amount=0, order=order)
    payload["data"]["object"]["lines"]["data"][0]["period"] = {"start": at(), "end": int(ends_at.timestamp())}
    return payload


def trial_end_in(days=TRIAL_DAYS):
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


def test_a_trialing_subscription_opens_the_column_until_the_trials_end(client, reader, stripe_order, article):
    ends_at = trial_end_in()
    assert post(client, trialing(stripe_order, ends_at=ends_at)).status_code == 200
    membership = Membership.objects.get()
    assert (membership.source, membership.expires_at) == (Membership.Source.TRIAL, ends_at)
    assert can_read_in_full(fresh(reader), article)
    trial = Trial.objects.get()
    assert (trial.how, trial.reference, trial.ends_at) == (Trial.How.STRIPE, SUBSCRIPTION, ends_at)
    assert post(client, trial_invoice(stripe_order, ends_at=ends_at)).status_code == 200  # the same trial, told again
    assert MembershipGrant.objects.count() == 1 and Trial.objects.count() == 1
    stripe_order.refresh_from_db()
    assert stripe_order.status == Order.Status.PENDING


def test_the_zero_invoice_of_the_trial_grants_the_trial_and_no_order_nor_year(client, reader, stripe_order):
    ends_at = trial_end_in()
    completed = dated(event("checkout.session.completed", {
        "id": "cs_trial", "object": "checkout.session", "mode": "subscription", "client_reference_id": stripe_order.number,
        "amount_total": 0, "currency": "cny", "payment_status": "no_payment_required", "subscription": SUBSCRIPTION, "invoice": "in_trial",
    }))  # fmt: skip
    assert post(client, completed).status_code == 200
    assert not Membership.objects.exists()
    assert Subscription.objects.get().status == Subscription.Status.TRIALING
    assert post(client, trial_invoice(stripe_order, ends_at=ends_at)).status_code == 200
    assert Order.objects.count() == 1
    stripe_order.refresh_from_db()
    assert stripe_order.status == Order.Status.PENDING and stripe_order.subscription is not None and stripe_order.provider_invoice_id == ""
    assert Membership.objects.get().expires_at == ends_at
    assert list(MembershipGrant.objects.values_list("days", "expires_after")) == [(None, ends_at)]
    assert PaymentEvent.objects.get(event_type="invoice.paid").outcome.startswith("trial until")


def test_a_stripe_trial_longer_than_the_plans_grants_nothing(client, stripe_order):
    assert post(client, trial_invoice(stripe_order, ends_at=trial_end_in(TRIAL_DAYS + 30))).status_code == 200
    assert not Membership.objects.exists() and not Trial.objects.exists()
    assert PaymentEvent.objects.get().outcome.startswith("refused")


def test_a_stripe_trial_during_a_trial_membership_adds_nothing(client, reader, plan, stripe_order):
    client.force_login(reader)
    start_trial(client, plan)
    membership = Membership.objects.get()
    assert post(client, trial_invoice(stripe_order, ends_at=membership.expires_at.replace(microsecond=0))).status_code == 200
    assert MembershipGrant.objects.count() == 1 and Trial.objects.get().how == Trial.How.MEMBERSHIP
    assert Membership.objects.get().expires_at == membership.expires_at


def test_the_first_paid_invoice_after_the_trial_pays_the_checkout_order_for_a_year(client, reader, stripe_order, clock):
    ends_at = trial_end_in()
    post(client, trialing(stripe_order, ends_at=ends_at))
    clock(ends_at + timedelta(hours=1) - timezone.now())
    first_year = invoice(invoice_id="in_after_trial", order=stripe_order)
    assert [post(client, first_year).status_code, post(client, {**first_year, "id": "evt_again", "type": "invoice.payment_succeeded"}).status_code] == [
        200,
        200,
    ]
    stripe_order.refresh_from_db()
    assert stripe_order.status == Order.Status.PAID and stripe_order.provider_invoice_id == "in_after_trial"
    assert Order.objects.count() == 1 and MembershipGrant.objects.filter(order=stripe_order).count() == 1
    membership = Membership.objects.get()
    assert membership.source == Membership.Source.PURCHASE and membership.is_active()
    assert abs(membership.expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)
    post(client, invoice(invoice_id="in_next_year", order=stripe_order))
    assert Order.objects.filter(is_automatic_renewal=True).count() == 1  # later years renew as before


def test_a_subscription_bought_during_a_trial_membership_pays_its_order_when_the_trial_ends(client, reader, plan, clock):
    client.force_login(reader)
    start_trial(client, plan)
    order = order_create(user=reader, plan=plan, provider="stripe", checkout_token=uuid.uuid4(), renews_automatically=True)
    ends_at = Membership.objects.get().expires_at
    post(client, trial_invoice(order, ends_at=ends_at.replace(microsecond=0)))
    clock(ends_at + timedelta(hours=1) - timezone.now())
    assert post(client, invoice(invoice_id="in_after_trial", order=order)).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and not Order.objects.filter(is_automatic_renewal=True).exists()
    assert abs(Membership.objects.get().expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)
