"""The reader's journey in a real browser: home → column → paid article (preview and paywall) →
sign up with the emailed code → back on the article → membership granted → the full article.

Every step is saved as a full-page screenshot (artifacts/screenshots/, or $SCREENSHOT_DIR) at a
desktop and a phone width, for people to look at; the assertions do not depend on UI wording, so
they hold in Chinese and in English.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from articles.models import Article
from members.services import membership_grant
from tests.factories import PAID_PARAGRAPHS, PASSWORD, make_article, make_column, make_section, paid_body

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

PREVIEW = "免费段落：任何人都能读到这一句开场白，详见 https://example.com/a-rather-long-address/without/any/spaces/to-break-on。"
CODE_RE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", re.MULTILINE)


def make_reading_column():
    """A column as readers meet it: a free opening article and members-only lessons, in a section."""
    column = make_column(
        title="AI 短视频创作：从提示词到分镜脚本",
        tagline="每周两篇，手把手带你用 AI 工具做出第一条能变现的短视频。",
        intro="这是一个关于 **AI 短视频创作** 的付费专栏。",
        plans=(("annual", 9900), ("lifetime", 29900)),
    )
    section = make_section(column, title="基础篇")
    make_article(column, title="开篇词：为什么现在开始做 AI 短视频", section=section, access=Article.Access.FREE, body="开篇词正文。")
    paid = make_article(column, title="第一讲：写出让模型听懂的提示词（Prompt Engineering）", section=section, body=paid_body(preview=PREVIEW))
    return column, paid


class Screenshots:
    def __init__(self, page, directory, prefix):
        self.page, self.directory, self.prefix, self.count = page, directory, prefix, 0

    def take(self, step: str):
        self.count += 1
        self.page.screenshot(path=self.directory / f"{self.prefix}-{self.count:02d}-{step}.png", full_page=True)


def verification_code(email: str) -> str:
    messages = [message for message in mail.outbox if email in message.to]
    assert messages, f"no email was sent to {email}"
    match = CODE_RE.search(messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


def horizontal_overflow(page) -> dict:
    """The page's width against the viewport's, and the elements that stick out to the right."""
    return page.evaluate(
        """() => ({
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
            culprits: [...document.querySelectorAll("body *")]
                .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
                .slice(0, 5)
                .map((element) => element.tagName.toLowerCase() + (element.className ? "." + String(element.className).trim().replace(/\\s+/g, ".") : "")),
        })"""
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=lambda viewport: str(viewport["width"]))
def test_reader_signs_up_at_the_paywall_and_reads_in_full_once_a_member(live_server, open_page, screenshot_dir, viewport):
    column, paid = make_reading_column()
    article_url = live_server.url + paid.get_absolute_url()
    email = f"reader-{viewport['width']}@example.com"
    page = open_page(viewport["width"], viewport["height"])
    shots = Screenshots(page, screenshot_dir, f"journey-{viewport['width']}")

    page.goto(live_server.url + "/")
    expect(page.locator("link[rel=stylesheet]")).to_have_count(1)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)", "portal.css did not load"
    shots.take("home")

    page.locator(".column-card__link", has_text=column.title).click()
    expect(page).to_have_url(live_server.url + column.get_absolute_url())
    shots.take("column")

    page.locator(".article-row a", has_text=paid.title).click()
    expect(page).to_have_url(article_url)
    expect(page.get_by_text(PREVIEW)).to_be_visible()
    expect(page.locator(".paywall")).to_be_visible()
    html = page.content()
    assert not [sentence for sentence in PAID_PARAGRAPHS if sentence in html]
    shots.take("paywall")

    # The paywall offers "join" and "log in"; a newcomer signs up from the header, which keeps ?next=.
    page.locator(".site-nav a[href*='/accounts/signup/']").click()
    signup_form = page.locator("form", has=page.locator("input[name=password1]"))
    signup_form.locator("input[name=email]").fill(email)
    signup_form.locator("input[name=password1]").fill(PASSWORD)
    shots.take("signup")
    signup_form.locator("button[type=submit]").click()

    code_form = page.locator("form", has=page.locator("input[name=code]"))
    expect(code_form).to_be_visible()
    shots.take("code")
    code_form.locator("input[name=code]").fill(verification_code(email))
    # The code page also holds a "cancel" button that submits a separate logout form (form="…").
    code_form.locator("button[type=submit]:not([form])").click()

    expect(page).to_have_url(article_url)
    expect(page.locator(".site-nav form[action*='/accounts/logout/']")).to_be_visible()
    expect(page.locator(".paywall")).to_be_visible()
    assert not [sentence for sentence in PAID_PARAGRAPHS if sentence in page.content()]
    shots.take("signed-in-paywall")

    reader = get_user_model().objects.get(email=email)
    membership_grant(user=reader, column=column, source="complimentary", days=365)
    page.reload()
    for sentence in PAID_PARAGRAPHS:
        expect(page.get_by_text(sentence)).to_be_visible()
    expect(page.locator(".paywall")).to_have_count(0)
    shots.take("member-full-article")


@pytest.mark.parametrize("width", [390, 360])
def test_reader_pages_do_not_scroll_sideways_on_phones(live_server, open_page, screenshot_dir, width):
    column, paid = make_reading_column()
    page = open_page(width, 800)
    pages = {"home": "/", "column": column.get_absolute_url(), "article": paid.get_absolute_url(), "signup": "/accounts/signup/"}
    overflowing = {}
    for name, path in pages.items():
        page.goto(live_server.url + path)
        measured = horizontal_overflow(page)
        if measured["scrollWidth"] > measured["innerWidth"]:
            overflowing[name] = measured
        if width == 360:
            page.screenshot(path=screenshot_dir / f"overflow-{width}-{name}.png", full_page=True)
    assert not overflowing
