"""Coupons: a percentage or a fixed amount off one column, until a date, a number of times."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.coupons import (
    CouponError,
    CouponExpired,
    CouponForAnotherColumn,
    CouponInactive,
    CouponUsedUp,
    UnknownCoupon,
    coupon_for_checkout,
    discount_for,
)
from members.models import Coupon, Order, Plan
from members.services import order_create, order_mark_paid
from tests.factories import make_column, make_coupon, make_editor, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def annual(column):
    return column.plans.get(kind=Plan.Kind.ANNUAL)


def checkout_url(plan):
    return reverse("members:checkout", args=[plan.pk])


def checkout_form(client, plan, **fields):
    form = client.get(checkout_url(plan)).context["form"]
    return {"provider": "sandbox", "checkout_token": form["checkout_token"].value(), "next": form["next"].value(), **fields}


def order_with(reader, plan, coupon):
    return order_create(user=reader, plan=plan, provider="manual", checkout_token=uuid.uuid4(), coupon=coupon)


def test_percent_discount_rounds_the_discount_down_to_whole_fen(reader):
    plan = make_column(plans=[("annual", 9999)]).plans.get()
    coupon = make_coupon(plan.column, percent_off=15)  # 1499.85 fen off
    order = order_with(reader, plan, coupon)
    assert (order.list_price_fen, order.discount_fen, order.amount_fen) == (9999, 1499, 8500)
    assert order.coupon == coupon


def test_fixed_discount_takes_that_many_fen_off(reader, annual):
    order = order_with(reader, annual, make_coupon(annual.column, amount_off_fen=500))
    assert (order.list_price_fen, order.discount_fen, order.amount_fen) == (9900, 500, 9400)


@pytest.mark.parametrize("amount_off_fen", [9900, 20000])
def test_a_discount_never_takes_the_last_fen(reader, annual, amount_off_fen):
    order = order_with(reader, annual, make_coupon(annual.column, amount_off_fen=amount_off_fen))
    assert (order.discount_fen, order.amount_fen) == (9899, 1)


def test_discount_for_is_integer_fen():
    class Percent:
        percent_off, amount_off_fen = 33, None

    assert discount_for(Percent, 100) == 33 and discount_for(Percent, 101) == 33 and discount_for(None, 100) == 0
    assert isinstance(discount_for(Percent, 9999), int)


def test_checkout_with_a_coupon_makes_a_discounted_order(client, reader, annual):
    make_coupon(annual.column, code="SPRING20")
    client.force_login(reader)
    client.post(checkout_url(annual), checkout_form(client, annual, coupon="spring20"))
    order = Order.objects.get()
    assert (order.amount_fen, order.coupon.code) == (7920, "SPRING20")


def test_typed_codes_are_normalized(annual):
    coupon = make_coupon(annual.column, code="SPRING20")
    for typed in ["spring20", "  Spring20 ", "ＳＰＲＩＮＧ２０", "\u3000spring20\u3000"]:
        assert coupon_for_checkout(raw_code=typed, plan=annual) == coupon


def test_each_refusal_has_its_own_message():
    messages = {str(error.message) for error in [UnknownCoupon, CouponForAnotherColumn, CouponInactive, CouponExpired, CouponUsedUp]}
    assert len(messages) == 5 and str(CouponError.message) not in messages


REFUSALS = {
    "unknown": (UnknownCoupon, lambda column: None),
    "another_column": (CouponForAnotherColumn, lambda column: make_coupon(make_column(), code="BAD1")),
    "inactive": (CouponInactive, lambda column: make_coupon(column, code="BAD1", is_active=False)),
    "expired": (CouponExpired, lambda column: make_coupon(column, code="BAD1", expires_at=timezone.now() - timedelta(minutes=1))),
    "used_up": (CouponUsedUp, lambda column: make_coupon(column, code="BAD1", max_uses=2, used_count=2)),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_coupon_says_why_and_keeps_what_was_typed(client, reader, annual, case):
    error, make = REFUSALS[case]
    make(annual.column)
    with pytest.raises(error):
        coupon_for_checkout(raw_code="bad1", plan=annual)
    client.force_login(reader)
    data = checkout_form(client, annual, provider="manual", coupon=" bad1 ")
    response = client.post(checkout_url(annual), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"coupon": [str(error.message)]}
    assert form["coupon"].value() == " bad1 "
    assert form["provider"].value() == "manual"
    assert form["checkout_token"].value() == data["checkout_token"]
    assert not Order.objects.exists()


def test_an_unexpired_coupon_with_uses_left_is_accepted(annual):
    coupon = make_coupon(annual.column, expires_at=timezone.now() + timedelta(days=1), max_uses=2, used_count=1)
    assert coupon_for_checkout(raw_code=coupon.code, plan=annual) == coupon


def test_a_use_is_counted_once_when_paid(reader, annual):
    coupon = make_coupon(annual.column, max_uses=5)
    order = order_with(reader, annual, coupon)
    coupon.refresh_from_db()
    assert coupon.used_count == 0  # an unpaid order uses nothing
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    coupon.refresh_from_db()
    assert coupon.used_count == 1


def test_an_order_made_before_the_limit_was_reached_keeps_its_price(reader, annual):
    coupon = make_coupon(annual.column, max_uses=1)
    first = order_with(make_user(), annual, coupon)
    second = order_with(reader, annual, coupon)
    order_mark_paid(order_id=first.pk, amount_fen=first.amount_fen)
    with pytest.raises(CouponUsedUp):
        coupon_for_checkout(raw_code=coupon.code, plan=annual)
    paid, activated = order_mark_paid(order_id=second.pk, amount_fen=7920)
    assert activated and paid.status == Order.Status.PAID and paid.amount_fen == 7920
    coupon.refresh_from_db()
    assert coupon.used_count == 1


def test_apply_shows_the_price_and_creates_no_order(client, reader, annual):
    make_coupon(annual.column, code="SPRING15", percent_off=15)
    client.force_login(reader)
    data = checkout_form(client, annual, coupon="spring15", apply="1")
    response = client.post(checkout_url(annual), data)
    assert response.status_code == 200 and not Order.objects.exists()
    page = response.content.decode()
    assert "<del>¥99</del>" in page and "−¥14.85" in page and "¥84.15" in page
    assert response.context["form"]["checkout_token"].value() == data["checkout_token"]
    del data["apply"]
    client.post(checkout_url(annual), data)
    assert Order.objects.get().amount_fen == 8415


def test_a_coupon_link_prefills_the_form_and_shows_the_price(client, reader, annual):
    make_coupon(annual.column, code="FIVE", amount_off_fen=500)
    client.force_login(reader)
    response = client.get(checkout_url(annual) + "?coupon=five")
    assert response.context["form"]["coupon"].value() == "five"
    assert "¥94" in response.content.decode()
    refused = client.get(checkout_url(annual) + "?coupon=nope")
    assert refused.context["form"]["coupon"].value() == "nope"
    assert refused.context["coupon_error"] == UnknownCoupon.message
    assert "<del>" not in refused.content.decode()


def admin_coupon_form(column, **fields):
    return {"column": column.pk, "amount_off_fen": "", "expires_at_0": "", "expires_at_1": "", "max_uses": "", "is_active": "on", **fields}


def test_editor_saves_codes_uppercase_and_sees_discounts(client, annual):
    client.force_login(make_editor())
    data = admin_coupon_form(annual.column, code=" spring20 ", percent_off="20", max_uses="10")
    response = client.post(reverse("admin:members_coupon_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Coupon.objects.get().code == "SPRING20"
    make_coupon(annual.column, code="FIVE", amount_off_fen=500)
    page = client.get(reverse("admin:members_coupon_changelist")).content.decode()
    assert "20%" in page and "¥5" in page and "0 / 10" in page


def test_editor_cannot_give_both_a_percentage_and_an_amount(client, annual):
    client.force_login(make_editor())
    data = admin_coupon_form(annual.column, code="BOTH", percent_off="20", amount_off_fen="500")
    response = client.post(reverse("admin:members_coupon_add"), data)
    assert response.status_code == 200 and not Coupon.objects.exists()
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [str(Coupon._meta.constraints[0].violation_error_message)]


def test_coupon_admin_list_query_count_does_not_grow(client, annual):
    from tests.articles_tests.test_pages import assert_constant_queries

    make_coupon(annual.column)
    client.force_login(make_editor())

    def more():
        for _ in range(6):
            make_coupon(make_column(), max_uses=3)

    assert_constant_queries(client, reverse("admin:members_coupon_changelist"), more)
