"""The pages this round added, as readers see them at a desktop and a phone width: search, My
columns with its renewal and feed options, the checkout's automatic renewal, and the error pages.
Each is screenshotted and must not scroll sideways on a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import Order, Subscription
from members.services import membership_grant
from tests.browser.test_reader_journey import Screenshots, horizontal_overflow, make_reading_column
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def log_in(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]:not([form])")
    expect(page.locator(".site-nav")).to_contain_text("我的专栏")


def assert_fits(page, name):
    measured = horizontal_overflow(page)
    assert measured["scrollWidth"] <= measured["innerWidth"], (name, measured)


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_search_finds_chinese_words_without_showing_paid_text(live_server, open_page, screenshot_dir, width, height):
    column, paid = make_reading_column()
    page = open_page(width, height)
    shots = Screenshots(page, screenshot_dir, f"search-{width}")
    page.goto(live_server.url + "/")
    page.fill("header input[name=q]", "提示词")
    page.press("header input[name=q]", "Enter")
    expect(page.locator("main")).to_contain_text(paid.title)
    assert "秘密" not in page.locator("main").inner_text(), "snippets for a visitor never come from paid text"
    shots.take("results")
    assert_fits(page, "search")
    page.goto(live_server.url + column.get_absolute_url())
    shots.take("column-with-search")
    assert_fits(page, "column")
    page.goto(live_server.url + "/search/?q=x")
    shots.take("too-short")


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_my_columns_shows_plans_renewal_and_private_feed(live_server, open_page, screenshot_dir, width, height, settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_browser", "whsec_browser"
    column, paid = make_reading_column()
    reader = make_user(email=f"shelf{width}@example.com")
    membership_grant(user=reader, column=column, source="purchase", days=365)
    plan = column.plans.get(kind="annual")
    order = Order.objects.create(
        number=f"BROWSER{width}",
        user=reader,
        column=column,
        plan=plan,
        plan_kind=plan.kind,
        list_price_fen=9900,
        amount_fen=9900,
        provider="stripe",
        checkout_token="00000000-0000-0000-0000-%012d" % width,
        status="paid",
        paid_at=timezone.now(),
    )
    Subscription.objects.create(
        user=reader,
        column=column,
        plan=plan,
        provider="stripe",
        provider_subscription_id=f"sub_browser_{width}",
        status="active",
        current_period_end=timezone.now() + timedelta(days=365),
    )
    page = open_page(width, height)
    shots = Screenshots(page, screenshot_dir, f"my-columns-{width}")
    log_in(page, live_server.url, reader)
    page.goto(live_server.url + "/me/columns/")
    expect(page.locator("main")).to_contain_text(column.title)
    shots.take("shelf")
    assert_fits(page, "my columns")
    page.locator("summary", has_text="订阅源与邮件").click()
    page.get_by_role("button", name="获取私人订阅地址").click()
    expect(page.locator("input[id^=private-feed-]").first).to_have_value(re.compile(r"/feeds/private/"))
    shots.take("private-feed")
    assert_fits(page, "my columns with feed")
    page.goto(live_server.url + order.get_absolute_url())
    shots.take("order")


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_checkout_offers_automatic_renewal_for_annual_plans(live_server, open_page, screenshot_dir, width, height, settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_browser", "whsec_browser"
    column, _ = make_reading_column()
    reader = make_user(email=f"renew{width}@example.com")
    page = open_page(width, height)
    shots = Screenshots(page, screenshot_dir, f"checkout-renewal-{width}")
    log_in(page, live_server.url, reader)
    page.goto(f"{live_server.url}/checkout/{column.plans.get(kind='annual').pk}/")
    expect(page.locator("main")).to_contain_text("每年自动续费")
    shots.take("checkout")
    assert_fits(page, "checkout")


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_error_pages(live_server, open_page, screenshot_dir, width, height):
    page = open_page(width, height)
    shots = Screenshots(page, screenshot_dir, f"errors-{width}")
    response = page.goto(live_server.url + "/no-such-page/")
    assert response.status == 404
    expect(page.locator("main")).to_contain_text("页面不存在")
    shots.take("404")
    assert_fits(page, "404")
