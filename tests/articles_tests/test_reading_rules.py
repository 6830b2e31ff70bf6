"""Who sees what of an article: the paid part reaches members only."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Column
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_editor, make_membership, make_user

pytestmark = pytest.mark.django_db

PREVIEW = "免费段落：任何人都能读到这一句开场白。"


def page_text(client, article):
    response = client.get(article.get_absolute_url())
    return response, response.content.decode()


def assert_no_paid_text(html):
    for sentence in PAID_PARAGRAPHS:
        assert sentence not in html
        assert sentence[:12] not in html


@pytest.fixture
def column():
    return make_column(title="Sora 从入门到精通")


@pytest.fixture
def paid_article(column):
    return make_article(column, title="会员文章")


def test_anonymous_reader_sees_preview_and_paywall_only(client, paid_article):
    response, html = page_text(client, paid_article)
    assert response.status_code == 200
    assert PREVIEW in html
    assert_no_paid_text(html)
    assert 'class="paywall"' in html
    assert reverse("members:join", args=[paid_article.column.slug]) in html
    assert "¥99" in html


def test_logged_in_non_member_sees_preview_only(client, paid_article):
    client.force_login(make_user())
    response, html = page_text(client, paid_article)
    assert PREVIEW in html
    assert_no_paid_text(html)
    assert 'class="paywall"' in html


def test_member_reads_the_full_text(client, paid_article, column):
    reader = make_user()
    make_membership(reader, column, days=30)
    client.force_login(reader)
    response, html = page_text(client, paid_article)
    for sentence in PAID_PARAGRAPHS:
        assert sentence in html
    assert 'class="paywall"' not in html


def test_lifetime_member_reads_the_full_text(client, paid_article, column):
    reader = make_user()
    make_membership(reader, column)
    client.force_login(reader)
    _, html = page_text(client, paid_article)
    assert PAID_PARAGRAPHS[-1] in html


def test_expired_member_reads_like_a_non_member(client, paid_article, column):
    reader = make_user()
    membership = make_membership(reader, column, expired=True)
    client.force_login(reader)
    _, html = page_text(client, paid_article)
    assert PREVIEW in html
    assert_no_paid_text(html)
    # The paywall of a membership that ended says when, and offers to renew rather than to join.
    ended = timezone.localtime(membership.expires_at).strftime("%Y-%m-%d")
    assert f"你的会员已于 {ended} 到期，续费后即可继续阅读。" in html
    assert re.search(r'<a class="button" href="[^"]*">续费</a>', html)
    assert "加入专栏" not in html


def test_revoked_membership_reads_like_no_membership(client, paid_article, column):
    reader = make_user()
    membership = make_membership(reader, column)
    membership.revoked_at = membership.starts_at
    membership.save()
    client.force_login(reader)
    _, html = page_text(client, paid_article)
    assert_no_paid_text(html)


def test_membership_of_another_column_does_not_open_this_one(client, paid_article):
    reader = make_user()
    make_membership(reader, make_column())
    client.force_login(reader)
    _, html = page_text(client, paid_article)
    assert_no_paid_text(html)


def test_free_article_is_readable_in_full_by_anyone(client, column):
    article = make_article(column, access=Article.Access.FREE)
    _, html = page_text(client, article)
    assert PAID_PARAGRAPHS[-1] in html
    assert 'class="paywall"' not in html


def test_author_reads_own_column_in_full(client, paid_article, column):
    writer = make_user()
    author = column.authors.get()
    author.user = writer
    author.save()
    client.force_login(writer)
    _, html = page_text(client, paid_article)
    assert PAID_PARAGRAPHS[0] in html


def test_draft_column_is_hidden_from_readers_and_members(client):
    draft = make_column(status=Column.Status.DRAFT)
    article = make_article(draft, access=Article.Access.FREE)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(article.get_absolute_url()).status_code == 404
    member = make_user()
    make_membership(member, draft)
    client.force_login(member)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_editor_previews_a_draft_column_in_full(client):
    draft = make_column(status=Column.Status.DRAFT)
    article = make_article(draft)
    client.force_login(make_editor())
    response, html = page_text(client, article)
    assert response.status_code == 200
    assert PAID_PARAGRAPHS[0] in html


def test_draft_and_scheduled_articles_are_hidden(client, column):
    from datetime import timedelta

    from django.utils import timezone

    draft = make_article(column, status=Article.Status.DRAFT, access=Article.Access.FREE)
    scheduled = make_article(column, access=Article.Access.FREE, published_at=timezone.now() + timedelta(days=1))
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(scheduled.get_absolute_url()).status_code == 404
    column_html = client.get(column.get_absolute_url()).content.decode()
    assert draft.title not in column_html
    assert scheduled.title not in column_html


def test_automatic_cut_keeps_later_paragraphs_out_of_body_and_meta_tags(client, column):
    lead = ["开场白" + "引子" * 60 + f"第{n}段。" for n in range(3)]
    article = make_article(column, body="\n\n".join([*lead, *PAID_PARAGRAPHS]))
    _, html = page_text(client, article)
    assert lead[0] in html
    assert lead[2] not in html
    assert_no_paid_text(html)


def test_short_paid_article_without_marker_shows_no_paid_sentence(client, column):
    article = make_article(column, body=PAID_PARAGRAPHS[0])
    _, html = page_text(client, article)
    assert_no_paid_text(html)
    assert 'class="paywall"' in html


def test_column_page_marks_free_articles_and_shows_price_to_non_members(client, column):
    make_article(column, title="试读文章", access=Article.Access.FREE)
    make_article(column, title="会员文章")
    html = client.get(column.get_absolute_url()).content.decode()
    assert "试读文章" in html and "会员文章" in html
    assert "badge--free" in html
    assert "¥99" in html
    assert reverse("members:join", args=[column.slug]) in html


def test_column_page_tells_a_member_until_when(client, column):
    reader = make_user()
    membership = make_membership(reader, column, days=30)
    client.force_login(reader)
    html = client.get(column.get_absolute_url()).content.decode()
    assert membership.expires_at.astimezone().strftime("%Y-%m-%d") in html or membership.expires_at.strftime("%Y-%m-%d") in html
    assert reverse("members:join", args=[column.slug]) not in html


def test_a_free_column_opens_every_article_to_everyone(client):
    column = make_column(title="免费专栏", is_free=True, plans=())
    article = make_article(column)
    _, html = page_text(client, article)
    assert PAID_PARAGRAPHS[-1] in html and 'class="paywall"' not in html
    assert "badge--locked" not in client.get(column.get_absolute_url()).content.decode()


def test_a_column_without_prices_is_not_free_unless_marked(client):
    column = make_column(title="暂停销售", plans=())
    article = make_article(column)
    _, html = page_text(client, article)
    assert_no_paid_text(html)
    join = client.get(reverse("members:join", args=[column.slug])).content.decode()
    assert "every article is open to everyone" not in join and "所有文章" not in join
