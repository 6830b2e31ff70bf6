"""Referral links attribute purchases to their referrer, who earns a commission once per paid order."""

import time
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from members.models import Commission, Order, ReferralProgram, ReferralVisit
from members.referrals import REFERRAL_COOKIE, referral_code_for, referrer_for_checkout
from members.services import order_create, order_mark_paid, order_refund
from tests.articles_tests.test_pages import assert_constant_queries
from tests.factories import make_article, make_column, make_editor, make_membership, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def referrer():
    return make_user(email="referrer@example.com")


@pytest.fixture
def program(column):
    return ReferralProgram.objects.create(column=column, rate_percent=20)


def checkout_request(client, user=None):
    """A request carrying the client's cookies, as the checkout view would see it."""
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    request.user = user or make_user()
    return request


def buy(user, column, referrer):
    order = order_create(user=user, plan=column.plans.get(), provider="manual", checkout_token=uuid.uuid4(), referrer=referrer)
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    return order


def test_codes_are_short_unambiguous_and_stable(referrer):
    code = referral_code_for(referrer)
    assert len(code.code) == 8 and not set(code.code) & set("01OIL")
    assert referral_code_for(referrer) == code


def test_code_collision_is_retried(referrer):
    taken = referral_code_for(make_user()).code
    with mock.patch("members.referrals.new_referral_code", side_effect=[taken, "ABCDEFGH"]):
        assert referral_code_for(referrer).code == "ABCDEFGH"


def test_visit_through_a_link_sets_a_signed_cookie_and_records_the_visit(client, column, referrer):
    code = referral_code_for(referrer)
    response = client.get(column.get_absolute_url() + f"?refer={code.code}")
    assert response.status_code == 200
    cookie = response.cookies[REFERRAL_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] == 30 * 24 * 3600
    assert code.code in cookie.value and cookie.value != code.code  # signed, and nothing else in it
    visit = ReferralVisit.objects.get()
    assert (visit.referral_code, visit.column_id) == (code, column.pk)


def test_article_visit_records_its_column_and_other_pages_none(client, column, referrer):
    code = referral_code_for(referrer)
    client.get(make_article(column).get_absolute_url() + f"?refer={code.code.lower()}")
    client.get(reverse("articles:home") + f"?refer={code.code}")
    assert sorted(ReferralVisit.objects.values_list("column_id", flat=True), key=str) == sorted([column.pk, None], key=str)


def test_invalid_code_is_ignored(client, column):
    response = client.get(column.get_absolute_url() + "?refer=NOPE2345")
    assert response.status_code == 200 and REFERRAL_COOKIE not in response.cookies
    assert client.get(column.get_absolute_url() + "?refer=<script>").status_code == 200
    assert not ReferralVisit.objects.exists()


def test_own_link_is_not_recorded(client, column, referrer):
    code = referral_code_for(referrer)
    client.force_login(referrer)
    response = client.get(column.get_absolute_url() + f"?refer={code.code}")
    assert REFERRAL_COOKIE not in response.cookies and not ReferralVisit.objects.exists()


def test_latest_link_wins(client, column, referrer):
    other = make_user()
    client.get(column.get_absolute_url() + f"?refer={referral_code_for(referrer).code}")
    client.get(column.get_absolute_url() + f"?refer={referral_code_for(other).code}")
    assert referrer_for_checkout(checkout_request(client)) == other


def test_referrer_for_checkout_within_the_window_only(client, column, referrer):
    code = referral_code_for(referrer)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - timedelta(days=29).total_seconds()):
        client.get(column.get_absolute_url() + f"?refer={code.code}")
    assert referrer_for_checkout(checkout_request(client)) == referrer
    with mock.patch("django.core.signing.time.time", return_value=time.time() - timedelta(days=31).total_seconds()):
        client.get(column.get_absolute_url() + f"?refer={code.code}")
    assert referrer_for_checkout(checkout_request(client)) is None


def test_referrer_for_checkout_honours_the_window_setting(client, column, referrer, settings):
    client.get(column.get_absolute_url() + f"?refer={referral_code_for(referrer).code}")
    settings.REFERRAL_WINDOW_DAYS = 0
    assert referrer_for_checkout(checkout_request(client)) is None


def test_tampered_or_missing_cookie_is_ignored(client, column, referrer):
    other_code = referral_code_for(make_user()).code
    client.get(column.get_absolute_url() + f"?refer={referral_code_for(referrer).code}")
    signed = client.cookies[REFERRAL_COOKIE].value
    client.cookies[REFERRAL_COOKIE] = other_code + signed[len(other_code) :]
    assert referrer_for_checkout(checkout_request(client)) is None
    client.cookies[REFERRAL_COOKIE] = other_code
    assert referrer_for_checkout(checkout_request(client)) is None
    del client.cookies[REFERRAL_COOKIE]
    assert referrer_for_checkout(checkout_request(client)) is None


def test_referrer_for_checkout_is_never_the_buyer(client, column, referrer):
    client.get(column.get_absolute_url() + f"?refer={referral_code_for(referrer).code}")
    assert referrer_for_checkout(checkout_request(client, user=referrer)) is None


def test_followed_link_to_paid_order_earns_commission_at_the_rate(client, column, referrer, reader, program):
    client.get(column.get_absolute_url() + f"?refer={referral_code_for(referrer).code}")
    order = buy(reader, column, referrer_for_checkout(checkout_request(client, user=reader)))
    commission = Commission.objects.get()
    assert (commission.order, commission.referrer, commission.rate_percent, commission.amount_fen) == (order, referrer, 20, 1980)
    assert commission.status == Commission.Status.OWED


def test_no_commission_on_own_purchase(column, referrer, program):
    order = buy(referrer, column, referrer)
    assert order.referrer is None and not Commission.objects.exists()


def test_commission_recorded_once_when_paid_twice(column, referrer, reader, program):
    order = buy(reader, column, referrer)
    _order, activated = order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    assert not activated and Commission.objects.count() == 1


def test_refund_cancels_the_commission(column, referrer, reader, program):
    order = buy(reader, column, referrer)
    order_refund(order_id=order.pk)
    assert Commission.objects.get().status == Commission.Status.CANCELLED


@pytest.mark.parametrize("active", [False, None])
def test_no_commission_without_an_active_program(column, referrer, reader, active):
    if active is not None:
        ReferralProgram.objects.create(column=column, rate_percent=20, is_active=active)
    order = buy(reader, column, referrer)
    assert Order.objects.get(pk=order.pk).referrer == referrer and not Commission.objects.exists()


def test_referrals_page_shows_links_and_earnings(client, settings, column, referrer, program):
    settings.SITE_URL = "https://zhuanlan.example"
    make_membership(referrer, column)
    code = referral_code_for(referrer)
    paid = buy(make_user(), column, referrer)
    buy(make_user(), column, referrer)
    Commission.objects.filter(order=paid).update(status=Commission.Status.PAID_OUT)
    client.get(column.get_absolute_url() + f"?refer={code.code}")
    client.force_login(referrer)
    html = client.get(reverse("members:referrals")).content.decode()
    assert f"https://zhuanlan.example/?refer={code.code}" in html
    assert f"https://zhuanlan.example{column.get_absolute_url()}?refer={code.code}" in html
    assert "¥19.80" in html and "20%" in html and column.title in html
    assert "<script" not in html.split("<main", 1)[-1]
    assert reverse("members:referrals") in client.get(reverse("members:my-columns")).content.decode()


def test_referrals_page_needs_login(client):
    assert client.get(reverse("members:referrals")).status_code == 302


def test_referrals_page_query_count_does_not_grow(client, referrer):
    client.force_login(referrer)
    buy(make_user(), (first := make_column()), referrer)
    ReferralProgram.objects.create(column=first, rate_percent=10)

    def add_data():
        for _ in range(4):
            column = make_column()
            ReferralProgram.objects.create(column=column, rate_percent=15)
            make_membership(referrer, column)
            buy(make_user(), column, referrer)

    assert_constant_queries(client, reverse("members:referrals"), add_data)


def test_commission_admin_marks_paid_out_and_totals_what_is_owed(client, column, referrer, program):
    first, second = buy(make_user(), column, referrer), buy(make_user(), column, referrer)
    client.force_login(make_editor())
    page = reverse("admin:members_commission_changelist")
    assert "¥39.60" in client.get(page).content.decode()
    response = client.post(page, {"action": "mark_paid_out", "_selected_action": [Commission.objects.get(order=first).pk]})
    assert response.status_code == 302
    paid_out = Commission.objects.get(order=first)
    assert paid_out.status == Commission.Status.PAID_OUT and paid_out.paid_out_at is not None
    assert Commission.objects.get(order=second).status == Commission.Status.OWED
    assert "¥19.80" in client.get(page).content.decode()
    assert site.is_registered(ReferralProgram)
    assert client.get(reverse("admin:members_referralprogram_changelist")).status_code == 200


def test_dashboard_shows_top_referrers(client, column, referrer, program):
    for _ in range(2):
        buy(make_user(), column, referrer)
    refunded = buy(make_user(), column, make_user(email="second@example.com"))
    order_refund(order_id=refunded.pk)
    client.force_login(make_editor())
    html = client.get(reverse("column-dashboard", args=[column.slug])).content.decode()
    section = html.split("dashboard-referrers", 1)[1]
    assert "referrer@example.com" in section and "¥39.60" in section
    assert "second@example.com" not in section


def test_a_purchase_through_a_referral_link_pays_the_referrer(client, column):
    ReferralProgram.objects.create(column=column, rate_percent=30)
    referrer = make_user(email="friend@example.com")
    code = referral_code_for(referrer)
    buyer = make_user(email="new-buyer@example.com")
    client.force_login(buyer)
    client.get(column.get_absolute_url() + f"?refer={code.code}")
    plan = column.plans.get()
    form = client.get(reverse("members:checkout", args=[plan.pk])).context["form"]
    pay_page = client.post(
        reverse("members:checkout", args=[plan.pk]),
        {"provider": "sandbox", "checkout_token": form["checkout_token"].value(), "next": form["next"].value()},
    )["Location"]
    client.post(pay_page, {"outcome": "succeed"})
    commission = Commission.objects.get()
    assert commission.referrer == referrer and commission.amount_fen == 9900 * 30 // 100
