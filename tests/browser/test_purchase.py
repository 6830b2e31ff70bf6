"""A reader buys a membership through the sandbox checkout and reads the full article, at a desktop
and a phone width; screenshots of each step land beside the others."""

import pytest
from playwright.sync_api import expect

from members.models import Membership, Order
from tests.browser.test_reader_journey import Screenshots, make_reading_column
from tests.factories import PAID_PARAGRAPHS, PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_reader_buys_through_the_sandbox_and_reads_the_full_article(live_server, open_page, screenshot_dir, width, height, settings):
    settings.PAYMENTS_SANDBOX = True
    column, paid = make_reading_column()
    reader = make_user(email=f"buyer{width}@example.com")
    page = open_page(width, height)
    shots = Screenshots(page, screenshot_dir, f"purchase-{width}")

    page.goto(f"{live_server.url}/accounts/login/?next={paid.get_absolute_url()}")
    page.fill("input[name=login]", reader.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]:not([form])")
    expect(page.locator(".paywall")).to_be_visible()
    shots.take("paywall")

    page.click(".paywall .button")
    expect(page.locator(".plan-list")).to_be_visible()
    shots.take("plans")
    page.locator(".plan", has_text="¥99").locator(".plan__buy").click()

    page.check("input[value=sandbox]")
    shots.take("checkout")
    page.click(".checkout-form__pay")
    expect(page.locator(".sandbox-banner")).to_be_visible()
    shots.take("sandbox")
    page.click("button[value=succeed]")

    expect(page).to_have_url(f"{live_server.url}{paid.get_absolute_url()}")
    for sentence in PAID_PARAGRAPHS:
        expect(page.get_by_text(sentence)).to_be_visible()
    expect(page.locator(".paywall")).to_have_count(0)
    shots.take("full-article")
    assert Order.objects.get(user=reader).status == Order.Status.PAID
    assert Membership.objects.get(user=reader, column=column).is_active()
