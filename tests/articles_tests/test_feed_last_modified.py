"""A feed's Last-Modified moves whenever an article leaves it, so a feed reader that asks with
If-Modified-Since alone (no ETag) is never told to keep an article the feed no longer holds."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from articles.models import Article
from members.feed_keys import feed_key_issue, private_feed_path
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db

SECRET = PAID_PARAGRAPHS[0]


def column_feeds(column):
    return [reverse("articles:column-feed", kwargs={"slug": column.slug}), reverse("articles:column-feed-atom", kwargs={"slug": column.slug})]


def every_feed(column):
    return [reverse("articles:feed"), reverse("articles:feed-atom"), *column_feeds(column)]


def made_draft(article):
    article.status = Article.Status.DRAFT
    article.save()


def rescheduled(article):
    article.published_at = timezone.now() + timedelta(days=1)
    article.save()


def deleted(article):
    article.delete()


def moved(article):
    article.column = make_column(title="另一个专栏")
    article.save()


def made_members_only(article):
    article.access = Article.Access.MEMBERS
    article.save()


# How the article leaves, what of it must be gone afterwards, and from which feeds.
LEAVING = {
    "draft": (made_draft, "离开的文章", every_feed),
    "rescheduled": (rescheduled, "离开的文章", every_feed),
    "deleted": (deleted, "离开的文章", every_feed),
    "moved": (moved, "离开的文章", column_feeds),
    "members-only": (made_members_only, SECRET, every_feed),
}


@pytest.mark.parametrize("way", LEAVING)
def test_a_feed_fetched_since_its_last_modified_drops_an_article_that_left(client, way):
    leave, gone, feeds = LEAVING[way]
    column = make_column(title="免费文章专栏")
    make_article(column, title="留下的文章", body="一篇免费的短文。", access=Article.Access.FREE, published_at=timezone.now() - timedelta(days=2))
    leaving = make_article(column, title="离开的文章", access=Article.Access.FREE)
    first = {}
    for url in feeds(column):
        first[url] = client.get(url)
        assert gone in first[url].content.decode(), url
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=first[url]["Last-Modified"]).status_code == 304, url
    leave(leaving)
    for url, response in first.items():
        since = client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
        assert since.status_code == 200, url
        assert gone not in since.content.decode(), url
        assert "留下的文章" in since.content.decode(), url
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=since["Last-Modified"]).status_code == 304, url


def test_last_modified_moves_on_each_change_within_the_same_second(client):
    column = make_column()
    articles = [make_article(column, title=f"文章{n}", access=Article.Access.FREE) for n in range(3)]
    url = reverse("articles:column-feed", kwargs={"slug": column.slug})
    since = client.get(url)["Last-Modified"]
    for article in articles:
        made_draft(article)
        response = client.get(url, HTTP_IF_MODIFIED_SINCE=since)
        assert response.status_code == 200
        assert article.title not in response.content.decode()
        since = response["Last-Modified"]


def test_the_private_feed_fetched_since_drops_an_unpublished_article(client):
    column = make_column(title="会员专栏")
    reader = make_user()
    make_membership(reader, column)
    make_article(column, title="留下的文章", published_at=timezone.now() - timedelta(days=2))
    leaving = make_article(column, title="离开的文章")
    key = feed_key_issue(user=reader, column=column)
    for path in (private_feed_path(key), private_feed_path(key, atom=True)):
        first = client.get(path)
        assert "离开的文章" in first.content.decode() and SECRET in first.content.decode()
        # A client without a Last-Modified to repeat asks with the time of its fetch.
        since = first.get("Last-Modified", http_date(time.time()))
        made_draft(leaving)
        response = client.get(path, HTTP_IF_MODIFIED_SINCE=since)
        assert response.status_code == 200, path
        assert "离开的文章" not in response.content.decode(), path
        assert "留下的文章" in response.content.decode(), path
        leaving.status = Article.Status.PUBLISHED
        leaving.save()
