"""Comments under an article in a real browser, at a desktop and a phone width: a member posts a
comment from the article page (the block is loaded by static/js/comments.js), the column's author
replies and the reply is marked as the author's; a visitor sees the count only. Screenshots go to
artifacts/screenshots/ (comments-<width>-…)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Author
from tests.browser.test_member_pages import assert_fits, log_in
from tests.browser.test_reader_journey import Screenshots, make_reading_column
from tests.factories import make_membership, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_member_comments_and_the_author_replies(live_server, open_page, screenshot_dir, width, height):
    column, paid = make_reading_column()
    author_user = make_user(first_name="专栏作者")
    Author.objects.filter(pk__in=column.authors.values("pk")).update(user=author_user)
    member = make_user(date_joined=timezone.now() - timezone.timedelta(days=30))
    make_membership(member, column, days=30)
    url = live_server.url + paid.get_absolute_url()

    visitor = open_page(width, height)
    visitor.goto(url + "#comments")
    expect(visitor.locator("#comments")).to_be_visible()
    expect(visitor.locator("#comments textarea")).to_have_count(0)
    Screenshots(visitor, screenshot_dir, f"comments-{width}-visitor").take("count-only")

    page = open_page(width, height)
    shots = Screenshots(page, screenshot_dir, f"comments-{width}")
    log_in(page, live_server.url, member)
    page.goto(url)
    form = page.locator("#comment-form")
    expect(form).to_be_visible()  # loaded into the article page by the script
    form.locator("textarea").fill("这一讲的**分镜脚本**部分很有用，想请教：[示例](https://example.com) 里的镜头怎么排？")
    form.locator("button[type=submit]").click()
    expect(page.locator(".comment").first).to_contain_text("分镜脚本")
    assert page.url.startswith(url)  # back on the article page, not the comments page
    shots.take("member-posted")
    assert_fits(page, "member comment")

    page.locator(".site-nav form button").click()  # log out
    log_in(page, live_server.url, author_user)
    page.goto(url)
    page.locator(".comment-reply-form summary").first.click()
    page.locator(".comment-reply-form textarea").first.fill("谢谢！镜头按情绪的起伏排，下一讲细说。")
    page.locator(".comment-reply-form button[type=submit]").first.click()
    reply = page.locator(".comment-replies .comment").first
    expect(reply).to_contain_text("下一讲细说")
    expect(reply).to_have_class("comment comment--reply comment--author")
    expect(reply.locator(".badge--author")).to_be_visible()
    reply.scroll_into_view_if_needed()
    shots.take("author-replied")
    assert_fits(page, "author reply")
