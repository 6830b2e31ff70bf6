"""Public RSS and Atom feeds: free articles in full, members-only ones as their preview and a link,
never a paid sentence; conditional GET; query counts that do not grow with the articles."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Column
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_user, paid_body
from tests.helpers import queries_for

pytestmark = pytest.mark.django_db

SECRET = PAID_PARAGRAPHS[0]
PREVIEW = "免费段落：任何人都能读到这一句开场白。"


def feed_urls(column):
    return [
        reverse("articles:feed"),
        reverse("articles:feed-atom"),
        reverse("articles:column-feed", kwargs={"slug": column.slug}),
        reverse("articles:column-feed-atom", kwargs={"slug": column.slug}),
    ]


@pytest.fixture
def column():
    return make_column(title="会员专栏")


def test_members_only_articles_show_their_preview_and_a_link_never_the_paid_text(client, column):
    article = make_article(column, title="会员文章")
    for url in feed_urls(column):
        body = client.get(url).content.decode()
        assert "会员文章" in body, url
        assert PREVIEW in body, url
        assert SECRET not in body, url
        assert "Continue reading (members only)" in body or "继续阅读" in body, url
        assert f"http://testserver{article.get_absolute_url()}" not in body  # links use SITE_URL, not the Host


def test_a_member_logged_in_still_gets_the_public_feed(client, column):
    make_article(column)
    member = make_user()
    make_membership(member, column)
    client.force_login(member)
    for url in feed_urls(column):
        assert SECRET not in client.get(url).content.decode(), url


def test_free_articles_and_free_columns_are_in_full(client, column):
    make_article(column, title="试读文章", access=Article.Access.FREE, body=paid_body(paragraphs=["试读全文：这一句在试读文章里公开。"]))
    free_column = make_column(title="免费专栏", plans=(), is_free=True)
    make_article(free_column, body=paid_body(paragraphs=["免费专栏全文：这一句谁都能读。"]))
    site = client.get(reverse("articles:feed")).content.decode()
    assert "试读全文：这一句在试读文章里公开。" in site
    assert "免费专栏全文：这一句谁都能读。" in site


def test_drafts_scheduled_and_unpublished_columns_stay_out(client, column):
    make_article(column, title="草稿文章", status=Article.Status.DRAFT)
    make_article(column, title="定时文章", published_at=timezone.now() + timedelta(days=1))
    hidden = make_column(title="草稿专栏", status=Column.Status.DRAFT)
    make_article(hidden, title="草稿专栏的文章", access=Article.Access.FREE)
    site = client.get(reverse("articles:feed")).content.decode()
    for title in ["草稿文章", "定时文章", "草稿专栏的文章"]:
        assert title not in site
    assert client.get(reverse("articles:column-feed", kwargs={"slug": hidden.slug})).status_code == 404


def test_links_and_images_in_content_are_absolute(client, column, settings):
    settings.SITE_URL = "https://zhuanlan.example.com"
    make_article(column, access=Article.Access.FREE, body="看图：\n\n![封面](/media/x.png)\n\n[上一篇](/a/1/)")
    body = client.get(reverse("articles:feed")).content.decode()
    assert "https://zhuanlan.example.com/media/x.png" in body
    assert "https://zhuanlan.example.com/a/1/" in body
    assert "<link>https://zhuanlan.example.com/</link>" in body


def test_column_feed_lists_only_its_column_newest_first_up_to_the_limit(client, column, settings):
    settings.FEED_ITEMS = 2
    other = make_column()
    make_article(other, title="别的专栏")
    now = timezone.now()
    for n in range(3):
        make_article(column, title=f"第{n}篇", published_at=now - timedelta(hours=10 - n))
    body = client.get(reverse("articles:column-feed", kwargs={"slug": column.slug})).content.decode()
    assert "别的专栏" not in body and "第0篇" not in body
    assert body.index("第2篇") < body.index("第1篇")


def test_pages_announce_the_feeds(client, column):
    article = make_article(column)
    home = client.get(reverse("articles:home")).content.decode()
    assert 'type="application/rss+xml"' in home and reverse("articles:feed") in home
    for url in [column.get_absolute_url(), article.get_absolute_url()]:
        assert reverse("articles:column-feed", kwargs={"slug": column.slug}) in client.get(url).content.decode()


def test_conditional_get_answers_304_until_something_changes(client, column):
    article = make_article(column)
    for url in feed_urls(column):
        first = client.get(url)
        assert first["ETag"] and first["Last-Modified"]
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, url
        assert again.content == b""
        since = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304, url
    etag = client.get(feed_urls(column)[2])["ETag"]
    article.title = "改过的标题"
    article.save()
    changed = client.get(feed_urls(column)[2], HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert "改过的标题" in changed.content.decode()


def test_a_scheduled_article_arriving_changes_the_etag(client, column):
    make_article(column)
    scheduled = make_article(column, title="定时文章", published_at=timezone.now() + timedelta(hours=1))
    url = reverse("articles:feed")
    etag = client.get(url)["ETag"]
    Article.objects.filter(pk=scheduled.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "定时文章" in response.content.decode()


def test_feeds_refuse_other_methods(client, column):
    assert client.post(reverse("articles:feed")).status_code == 405


def test_feed_query_count_does_not_grow_with_articles(client, column, settings):
    settings.FEED_ITEMS = 50
    make_article(column, access=Article.Access.FREE).tags.add("一")
    make_article(column)
    for url in feed_urls(column):
        client.get(url)
        before = queries_for(client, url)
        for n in range(6):
            article = make_article(column if n % 2 else make_column(), access=Article.Access.FREE if n % 3 == 0 else Article.Access.MEMBERS)
            article.tags.add("提示词", f"标签{n}")
        after = queries_for(client, url)
        assert after == before, f"{url}: {before} queries grew to {after}"
