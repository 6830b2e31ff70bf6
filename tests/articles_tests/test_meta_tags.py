"""Canonical addresses, sharing cards and structured data: built from previews only, the same for
members and visitors, with the paywalled part marked the way search engines ask."""

import html
import json
import re

import pytest
from django.urls import reverse

from articles.absolute_urls import absolutize_html, canonical_url
from articles.models import Article
from articles.seo import ld_json
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_editor, make_membership, make_user

pytestmark = pytest.mark.django_db

SITE = "https://zhuanlan.example.com"
LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def head(page: str) -> str:
    return page.split("</head>", 1)[0]


def structured_data(page: str) -> dict:
    blocks = LD_JSON.findall(page)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def meta(page: str, attribute: str, name: str) -> str:
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', page)
    assert match, name
    return html.unescape(match.group(1))


@pytest.fixture
def paid_article():
    column = make_column(title="会员专栏")
    article = make_article(column, title="会员文章")
    article.tags.add("提示词")
    return article


@pytest.mark.parametrize("viewer", ["visitor", "member", "editor"])
def test_head_of_a_members_only_article_never_carries_paid_text(client, paid_article, viewer):
    if viewer == "member":
        member = make_user()
        make_membership(member, paid_article.column)
        client.force_login(member)
    elif viewer == "editor":
        client.force_login(make_editor())
    page = client.get(paid_article.get_absolute_url()).content.decode()
    if viewer != "visitor":
        assert PAID_PARAGRAPHS[0] in page  # the body is there for them, so the head check below means something
    top = head(page)
    for sentence in PAID_PARAGRAPHS:
        assert sentence not in top
        assert sentence not in json.dumps(structured_data(page), ensure_ascii=False)
    for attribute, name in [("name", "description"), ("property", "og:description"), ("name", "twitter:description")]:
        assert meta(top, attribute, name).startswith("免费段落")


def test_open_graph_and_twitter_cards(client, paid_article):
    page = client.get(paid_article.get_absolute_url()).content.decode()
    assert meta(page, "property", "og:type") == "article"
    assert meta(page, "property", "og:title") == "会员文章"
    assert meta(page, "property", "og:url") == f"{SITE}{paid_article.get_absolute_url()}"
    assert meta(page, "property", "article:section") == "会员专栏"
    assert meta(page, "property", "article:tag") == "提示词"
    assert meta(page, "name", "twitter:card") == "summary"


def test_structured_data_marks_a_paywalled_article_and_its_paywalled_part(client, paid_article):
    page = client.get(paid_article.get_absolute_url()).content.decode()
    data = structured_data(page)
    assert data["@type"] == "Article"
    assert data["isAccessibleForFree"] is False
    assert data["hasPart"] == {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywalled-content"}
    assert data["headline"] == "会员文章"
    assert data["url"] == f"{SITE}{paid_article.get_absolute_url()}"
    assert 'class="paywalled-content"' in page  # the selector matches the paywall box for visitors


def test_members_see_their_full_text_inside_the_marked_element(client, paid_article):
    member = make_user()
    make_membership(member, paid_article.column)
    client.force_login(member)
    page = client.get(paid_article.get_absolute_url()).content.decode()
    marked = page.split("paywalled-content", 1)[1]
    assert PAID_PARAGRAPHS[0] in marked


def test_a_free_article_is_accessible_for_free_without_a_paywalled_part(client):
    article = make_article(make_column(), access=Article.Access.FREE)
    page = client.get(article.get_absolute_url()).content.decode()
    data = structured_data(page)
    assert data["isAccessibleForFree"] is True
    assert "hasPart" not in data
    assert "paywalled-content" not in page


def test_column_page_has_a_card_of_its_own(client):
    column = make_column(title="Sora 入门", tagline="一句话介绍")
    page = client.get(column.get_absolute_url()).content.decode()
    assert meta(page, "property", "og:title") == "Sora 入门"
    assert meta(page, "property", "og:description") == "一句话介绍"
    assert meta(page, "property", "og:type") == "website"


def test_canonical_is_absolute_and_drops_tracking_parameters(client, paid_article):
    page = client.get(paid_article.get_absolute_url() + "?refer=ABC123&utm_source=wechat").content.decode()
    assert f'<link rel="canonical" href="{SITE}{paid_article.get_absolute_url()}">' in page
    home = client.get(reverse("articles:home") + "?page=2&refer=X").content.decode()
    assert f'<link rel="canonical" href="{SITE}/?page=2">' in home


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, f"{SITE}/a/1/"),
        ({"page": "1"}, f"{SITE}/a/1/"),
        ({"page": "3"}, f"{SITE}/a/1/?page=3"),
        ({"page": "x"}, f"{SITE}/a/1/"),
        ({"refer": "A"}, f"{SITE}/a/1/"),
    ],
)
def test_canonical_url_keeps_only_real_page_numbers(query, expected):
    assert canonical_url("/a/1/", query) == expected


def test_structured_data_cannot_close_its_script_element():
    text = ld_json({"headline": "</script><script>alert(1)</script> & <!--"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["headline"] == "</script><script>alert(1)</script> & <!--"


def test_absolutize_html_points_site_relative_addresses_at_site_url():
    source = '<p><a href="/a/2/">上一篇</a> <img src="/media/x.png" alt=""> <a href="https://other.example/x">外链</a> <a href="//cdn.example/y">cdn</a></p>'
    result = absolutize_html(source)
    assert f'href="{SITE}/a/2/"' in result and f'src="{SITE}/media/x.png"' in result
    assert 'href="https://other.example/x"' in result and 'href="//cdn.example/y"' in result
