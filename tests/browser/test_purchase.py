"""A reader buys a membership through the sandbox checkout and reads the full article, at a desktop
and a phone width; a reader on a phone gives one to a friend, who redeems it. Screenshots of each
step land beside the others."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from members.models import Gift, Membership, Order
from tests.browser.test_reader_journey import Screenshots, horizontal_overflow, make_reading_column
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


def log_in(page, url, user):
    page.goto(url)
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]:not([form])")


def assert_fits(page):
    measured = horizontal_overflow(page)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured


def test_a_reader_on_a_phone_gives_a_membership_and_the_friend_redeems_it(live_server, open_page, screenshot_dir, settings):
    settings.PAYMENTS_SANDBOX = True
    settings.SITE_URL = live_server.url
    column, paid = make_reading_column()
    buyer, friend = make_user(email="giver@example.com"), make_user(email="friend@example.com")
    page = open_page(390, 844)
    shots = Screenshots(page, screenshot_dir, "gift-390")

    log_in(page, f"{live_server.url}/accounts/login/?next={reverse('members:join', args=[column.slug])}", buyer)
    expect(page.locator(".plan-list")).to_be_visible()
    shots.take("plans")
    page.locator(".plan", has_text="¥99").locator(".plan__gift").click()
    expect(page.locator("input[name=gift]")).to_be_checked()
    page.fill("textarea[name=gift_message]", "生日快乐！<b>一起读</b>")
    page.check("input[value=sandbox]")
    assert_fits(page)
    shots.take("checkout")
    page.click(".checkout-form__pay")
    page.click("button[value=succeed]")

    link = page.locator("#gift-link")
    expect(link).to_be_visible()
    expect(page.get_by_text("生日快乐！<b>一起读</b>")).to_be_visible()
    assert_fits(page)
    shots.take("gift-page")
    gift_url = link.input_value()
    assert gift_url == live_server.url + Gift.objects.get().get_redeem_url()
    assert not Membership.objects.filter(user=buyer).exists()

    visitor = open_page(390, 844)
    friend_shots = Screenshots(visitor, screenshot_dir, "gift-390-friend")
    visitor.goto(gift_url)
    expect(visitor.get_by_text("生日快乐！<b>一起读</b>")).to_be_visible()
    assert_fits(visitor)
    friend_shots.take("gift-link")
    visitor.locator("main .gift .button", has_text="登录").click()
    visitor.fill("input[name=login]", friend.email)
    visitor.fill("input[name=password]", PASSWORD)
    visitor.click("main form button[type=submit]:not([form])")
    expect(visitor.locator(".gift__redeem")).to_be_visible()
    friend_shots.take("signed-in")
    visitor.click(".gift__redeem")
    expect(visitor).to_have_url(f"{live_server.url}{column.get_absolute_url()}")
    friend_shots.take("redeemed")
    visitor.goto(live_server.url + paid.get_absolute_url())
    for sentence in PAID_PARAGRAPHS:
        expect(visitor.get_by_text(sentence)).to_be_visible()
    assert Membership.objects.get(user=friend, column=column).is_active()
