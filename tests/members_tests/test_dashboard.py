import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.charts import bar_chart, line_chart, nice_ceiling
from members.selectors import column_dashboard
from members.services import order_create, order_mark_paid, order_refund
from tests.factories import make_column, make_editor, make_membership, make_user


def test_charts_are_svg_with_escaped_text_and_no_script():
    svg = bar_chart(["<b>1月</b>", "2月"], [3, 5], title='收入 "<script>"')
    assert svg.startswith("<svg") and "<script" not in svg and "&lt;b&gt;1月" in svg
    assert svg.count("<rect") == 2
    assert line_chart(["a", "b", "c"], [1, 2, 3], title="t").count("<circle") == 3
    assert "<rect" not in bar_chart([], [], title="empty")


@pytest.mark.parametrize("value,ceiling", [(0, 1), (1, 1), (3, 5), (7, 10), (120, 200), (999, 1000), (9900, 10000)])
def test_axis_tops_are_round_numbers(value, ceiling):
    assert nice_ceiling(value) == ceiling


@pytest.mark.django_db
def test_dashboard_counts_members_revenue_and_plan_mix():
    column = make_column(plans=[("annual", 9900), ("lifetime", 29900)])
    for kind in ("annual", "lifetime", "annual"):
        order = order_create(user=make_user(), plan=column.plans.get(kind=kind), provider="manual", checkout_token=uuid.uuid4())
        order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    order_refund(order_id=order.pk)
    make_membership(make_user(), column, expired=True)
    figures = column_dashboard(column)
    assert figures.members_at_month_end[-1] == 2
    assert (figures.active_annual, figures.active_lifetime) == (1, 1)
    assert figures.revenue_fen_by_month[-1] == 9900 + 29900
    assert (figures.paid_orders, figures.refunded_orders) == (2, 1)
    assert len(figures.months) == 12 and figures.months[-1] == timezone.localtime().strftime("%Y-%m")


@pytest.mark.django_db
def test_dashboard_page_is_for_editors_and_keeps_its_query_count(client):
    column = make_column()
    page = reverse("column-dashboard", args=[column.slug])
    client.force_login(make_user())
    assert client.get(page).status_code == 302
    client.force_login(make_editor())
    client.get(page)
    with CaptureQueriesContext(connection) as before:
        assert client.get(page).status_code == 200
    for _ in range(5):
        make_membership(make_user(), column, days=30)
        order = order_create(user=make_user(), plan=column.plans.get(), provider="manual", checkout_token=uuid.uuid4())
        order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    with CaptureQueriesContext(connection) as after:
        html = client.get(page).content.decode()
    assert len(after) == len(before)
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
