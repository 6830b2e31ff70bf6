"""Buying a membership: one order per checkout form, access only for a confirmed payment, once."""

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from members.access import can_read_in_full
from members.models import Membership, MembershipGrant, Order, Plan
from members.services import PaymentMismatch, order_create, order_mark_failed, order_mark_paid, order_refund
from tests.factories import make_article, make_column, make_editor, make_membership, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def column():
    return make_column(title="付费专栏", plans=[("annual", 9900), ("lifetime", 29900)])


@pytest.fixture
def annual(column):
    return column.plans.get(kind=Plan.Kind.ANNUAL)


@pytest.fixture
def reader():
    return make_user(email="buyer@example.com")


def checkout_form(client, plan, **fields):
    response = client.get(reverse("members:checkout", args=[plan.pk]) + "?next=/a/1/")
    form = response.context["form"]
    return {"provider": "sandbox", "checkout_token": form["checkout_token"].value(), "next": form["next"].value(), **fields}


def test_submitting_the_same_checkout_form_twice_makes_one_order(client, reader, annual):
    client.force_login(reader)
    data = checkout_form(client, annual)
    first = client.post(reverse("members:checkout", args=[annual.pk]), data)
    second = client.post(reverse("members:checkout", args=[annual.pk]), data)
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]
    order = Order.objects.get()
    assert (order.amount_fen, order.plan_kind, order.status) == (9900, "annual", Order.Status.PENDING)
    assert order.return_url == "/a/1/"


def test_a_new_form_makes_a_new_order(client, reader, annual):
    client.force_login(reader)
    client.post(reverse("members:checkout", args=[annual.pk]), checkout_form(client, annual))
    client.post(reverse("members:checkout", args=[annual.pk]), checkout_form(client, annual))
    assert Order.objects.count() == 2


def test_checkout_needs_login_and_keeps_where_to_return(client, annual):
    response = client.get(reverse("members:checkout", args=[annual.pk]) + "?next=/a/7/")
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_an_offsite_next_is_replaced_by_the_column(client, reader, annual):
    client.force_login(reader)
    response = client.get(reverse("members:checkout", args=[annual.pk]) + "?next=https://evil.example/")
    assert response.context["form"]["next"].value() == annual.column.get_absolute_url()


def test_sandbox_success_opens_the_article_and_returns_to_it(client, reader, column, annual):
    article = make_article(column)
    client.force_login(reader)
    data = checkout_form(client, annual, next=article.get_absolute_url())
    pay_page = client.post(reverse("members:checkout", args=[annual.pk]), data)["Location"]
    assert "sandbox-banner" in client.get(pay_page).content.decode()
    back = client.post(pay_page, {"outcome": "succeed"})
    assert back["Location"] == article.get_absolute_url()
    assert can_read_in_full(reader, article)
    assert Order.objects.get().status == Order.Status.PAID
    assert "付费段落三" in client.get(article.get_absolute_url()).content.decode()


def test_a_failed_payment_grants_nothing_and_can_be_retried(client, reader, column, annual):
    client.force_login(reader)
    pay_page = client.post(reverse("members:checkout", args=[annual.pk]), checkout_form(client, annual))["Location"]
    client.post(pay_page, {"outcome": "fail"})
    order = Order.objects.get()
    assert order.status == Order.Status.FAILED
    assert not Membership.objects.exists()
    retry = client.get(order.get_absolute_url()).content.decode()
    assert reverse("members:checkout", args=[annual.pk]) in retry
    pay_page = client.post(reverse("members:checkout", args=[annual.pk]), checkout_form(client, annual))["Location"]
    client.post(pay_page, {"outcome": "succeed"})
    assert Membership.objects.get().is_active()


def test_confirming_a_payment_twice_activates_once(reader, annual):
    order = order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    _, first = order_mark_paid(order_id=order.pk, amount_fen=9900)
    _, second = order_mark_paid(order_id=order.pk, amount_fen=9900)
    assert (first, second) == (True, False)
    assert MembershipGrant.objects.filter(order=order).count() == 1
    membership = Membership.objects.get()
    assert 364 <= (membership.expires_at - membership.starts_at).days <= 365


def test_a_payment_of_the_wrong_amount_grants_nothing(reader, annual):
    order = order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    with pytest.raises(PaymentMismatch):
        order_mark_paid(order_id=order.pk, amount_fen=1)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not Membership.objects.exists()


def test_an_annual_renewal_extends_from_the_current_end(reader, annual, column):
    membership = make_membership(reader, column, days=100)
    end = membership.expires_at
    order = order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    order_mark_paid(order_id=order.pk, amount_fen=9900)
    membership.refresh_from_db()
    assert (membership.expires_at - end).days == 365


def test_lifetime_purchase_never_expires(reader, column):
    lifetime = column.plans.get(kind=Plan.Kind.LIFETIME)
    order = order_create(user=reader, plan=lifetime, provider="manual", checkout_token=uuid.uuid4())
    order_mark_paid(order_id=order.pk, amount_fen=29900)
    assert Membership.objects.get().is_lifetime


def test_a_refund_ends_access_on_the_next_request(client, reader, annual, column):
    article = make_article(column)
    order = order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    order_mark_paid(order_id=order.pk, amount_fen=9900)
    order_refund(order_id=order.pk)
    client.force_login(reader)
    assert "付费段落三" not in client.get(article.get_absolute_url()).content.decode()
    assert Order.objects.get().status == Order.Status.REFUNDED


def test_a_failed_order_cannot_be_failed_into_a_grant(reader, annual):
    order = order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    order_mark_failed(order_id=order.pk, reason="declined")
    assert not Membership.objects.exists()


def test_receipt_email_is_sent_once_after_payment(reader, annual, django_capture_on_commit_callbacks):
    order = order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        order_mark_paid(order_id=order.pk, amount_fen=9900)
        order_mark_paid(order_id=order.pk, amount_fen=9900)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@example.com"]
    assert order.number in message.subject and "99" in message.body and "付费专栏" in message.body


def test_editor_marks_a_manual_transfer_paid_in_admin(client, reader, annual):
    order = order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    client.force_login(make_editor())
    client.post(reverse("admin:members_order_changelist"), {"action": "mark_paid", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Membership.objects.get(user=reader).is_active()


def test_manual_order_page_shows_amount_number_and_instructions(client, reader, annual):
    client.force_login(reader)
    data = checkout_form(client, annual, provider="manual")
    page = client.post(reverse("members:checkout", args=[annual.pk]), data, follow=True).content.decode()
    order = Order.objects.get()
    assert order.number in page and "¥99" in page and "订单号" in page


def test_readers_see_only_their_own_orders(client, reader, annual):
    order = order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    client.force_login(make_user())
    assert client.get(order.get_absolute_url()).status_code == 404
    assert order.number not in client.get(reverse("members:orders")).content.decode()
    client.force_login(reader)
    assert order.number in client.get(reverse("members:orders")).content.decode()


def test_sandbox_is_absent_unless_enabled(client, reader, annual, settings):
    settings.PAYMENTS_SANDBOX = False
    client.force_login(reader)
    response = client.get(reverse("members:checkout", args=[annual.pk]))
    assert [name for name, _ in response.context["form"]["provider"].field.choices] == ["manual"]
    order = order_create(user=reader, plan=annual, provider="sandbox", checkout_token=uuid.uuid4())
    assert client.post(reverse("members:sandbox-pay", args=[order.number]), {"outcome": "succeed"}).status_code == 404
    assert not Membership.objects.exists()


def test_deploy_check_warns_when_the_sandbox_is_on_without_debug(settings):
    settings.DEBUG, settings.PAYMENTS_SANDBOX = False, True
    from members.checks import sandbox_is_off_in_production

    assert [warning.id for warning in sandbox_is_off_in_production(None)] == ["members.W001"]


def test_order_list_query_count_does_not_grow(client, reader, annual):
    from tests.articles_tests.test_pages import assert_constant_queries

    order_create(user=reader, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    client.force_login(reader)

    def more():
        for _ in range(6):
            plan = make_column().plans.get()
            order_create(user=reader, plan=plan, provider="manual", checkout_token=uuid.uuid4())

    assert_constant_queries(client, reverse("members:orders"), more)
