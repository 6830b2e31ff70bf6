"""The sitemap lists what is public, at SITE_URL addresses and without any article text;
robots.txt keeps crawlers out of private areas and points at the sitemap."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Column
from tests.factories import PAID_PARAGRAPHS, make_article, make_author, make_column

pytestmark = pytest.mark.django_db

SITE = "https://zhuanlan.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE + "/"


def whole_sitemap(client) -> str:
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    assert index["Content-Type"].startswith("application/xml")
    text = index.content.decode()
    parts = [text]
    for section in ["columns", "articles", "tags", "authors"]:
        assert f"<loc>{SITE}/sitemap-{section}.xml</loc>" in text
        response = client.get(f"/sitemap-{section}.xml")
        assert response.status_code == 200
        parts.append(response.content.decode())
    return "\n".join(parts)


def test_sitemap_lists_public_columns_articles_tags_and_authors(client):
    author = make_author(display_name="公开作者")
    column = make_column(title="公开专栏", authors=[author])
    article = make_article(column)
    article.tags.add("提示词")
    text = whole_sitemap(client)
    assert f"<loc>{SITE}{column.get_absolute_url()}</loc>" in text
    assert f"<loc>{SITE}{article.get_absolute_url()}</loc>" in text
    assert f"<loc>{SITE}{reverse('articles:tag', kwargs={'slug': article.tags.first().slug})}</loc>" in text
    assert f"<loc>{SITE}{author.get_absolute_url()}</loc>" in text


def test_sitemap_leaves_out_drafts_scheduled_and_hidden_columns(client):
    column = make_column()
    draft = make_article(column, status=Article.Status.DRAFT)
    draft.tags.add("草稿标签")
    scheduled = make_article(column, published_at=timezone.now() + timedelta(days=2))
    hidden_author = make_author(display_name="隐藏作者")
    hidden = make_column(status=Column.Status.DRAFT, authors=[hidden_author])
    hidden_article = make_article(hidden)
    text = whole_sitemap(client)
    for path in [
        draft.get_absolute_url(),
        scheduled.get_absolute_url(),
        hidden.get_absolute_url(),
        hidden_article.get_absolute_url(),
        hidden_author.get_absolute_url(),
    ]:
        assert f"{SITE}{path}<" not in text, path
    assert "草稿标签" not in text


def test_sitemap_carries_no_article_text(client):
    column = make_column()
    make_article(column, title="会员文章")
    text = whole_sitemap(client)
    for sentence in PAID_PARAGRAPHS:
        assert sentence not in text
    assert "免费段落" not in text


def test_sitemap_uses_site_url_whatever_the_host(client):
    make_article(make_column())
    text = whole_sitemap(client)
    assert "testserver" not in text


def test_robots_txt_disallows_private_areas_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for prefix in ["/admin/", "/accounts/", "/me/", "/checkout/", "/pay/", "/feeds/private/", "/webhooks/", "/search/"]:
        assert f"Disallow: {prefix}\n" in text, prefix
    assert "Disallow: /\n" not in text
    assert f"Sitemap: {SITE}/sitemap.xml" in text


def test_sitemaps_are_kept_for_visitors_with_their_own_headers(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_article(make_column(), title="某篇")
    first = client.get("/sitemap-articles.xml")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/sitemap-articles.xml")
    assert len(queries) == 0
    assert again.content == first.content
    assert again["X-Robots-Tag"] == first["X-Robots-Tag"]
