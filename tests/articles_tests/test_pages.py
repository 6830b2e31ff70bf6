"""Reader pages render what they promise, and their query counts do not grow with the data."""

import pytest
from django.test import override_settings
from django.urls import reverse

from articles.models import Article
from tests.factories import make_article, make_author, make_category, make_column, make_membership, make_section, make_user
from tests.helpers import queries_for

pytestmark = pytest.mark.django_db


def grow(column, count):
    section = column.sections.first() or make_section(column)
    for _ in range(count):
        article = make_article(column, section=section)
        article.tags.add("提示词", "Sora")


def assert_constant_queries(client, url, add_data):
    """Count the page's queries, add many more rows, and count again: an N+1 would show as growth.
    The page cache is off here: what is counted is rendering the page (test_page_cache.py counts
    the kept pages)."""
    with override_settings(PAGE_CACHE_SECONDS=0):
        client.get(url)  # warm per-process caches (content types, sites) before counting
        before = queries_for(client, url)
        add_data()
        after = queries_for(client, url)
    assert after == before, f"{url}: {before} queries grew to {after}"


def test_home_lists_published_columns_with_figures(client):
    column = make_column(title="Sora 入门", tagline="一句话介绍", stated_reader_count=242)
    make_article(column)
    make_membership(make_user(), column)
    html = client.get(reverse("articles:home")).content.decode()
    assert "Sora 入门" in html
    assert "243" in html  # stated readers plus the active member
    assert "¥99" in html


def test_home_query_count_does_not_grow_with_columns(client):
    make_column()
    assert_constant_queries(client, reverse("articles:home"), lambda: [grow(make_column(category=make_category()), 3) for _ in range(8)])


def test_home_paginates(client, settings):
    settings.PAGE_SIZE = 2
    for n in range(5):
        make_column(title=f"分页专栏{n}")
    first = client.get(reverse("articles:home")).content.decode()
    third = client.get(reverse("articles:home") + "?page=3").content.decode()
    assert first.count('class="column-card"') == 2
    assert third.count('class="column-card"') == 1
    assert 'rel="next"' in first


def test_category_page_lists_only_its_columns(client):
    category = make_category(name="AI 视频")
    make_column(title="在分类里", category=category)
    make_column(title="不在分类里")
    html = client.get(category.get_absolute_url()).content.decode()
    assert "在分类里" in html and "不在分类里" not in html


def test_column_page_groups_articles_by_section_with_pinned_first(client):
    column = make_column()
    basics = make_section(column, title="基础篇", position=1)
    tools = make_section(column, title="工具篇", position=2)
    make_article(column, title="工具文章", section=tools)
    make_article(column, title="基础文章", section=basics)
    make_article(column, title="置顶文章", section=tools, pinned=True)
    html = client.get(column.get_absolute_url()).content.decode()
    assert html.index("置顶文章") < html.index("基础篇") < html.index("基础文章") < html.index("工具篇") < html.index("工具文章")


def test_column_page_query_count_does_not_grow_with_articles(client):
    column = make_column()
    grow(column, 2)
    assert_constant_queries(client, column.get_absolute_url(), lambda: grow(column, 20))


def test_column_page_query_count_for_a_member(client):
    column = make_column()
    grow(column, 2)
    reader = make_user()
    make_membership(reader, column)
    client.force_login(reader)
    assert_constant_queries(client, column.get_absolute_url(), lambda: grow(column, 20))


def test_article_page_shows_title_author_date_tags_reading_time_and_neighbours(client):
    author = make_author(display_name="清风徐来")
    column = make_column(authors=[author])
    first = make_article(column, title="第一篇", access=Article.Access.FREE)
    middle = make_article(column, title="第二篇", access=Article.Access.FREE, body="正文" * 900)
    middle.tags.add("提示词")
    last = make_article(column, title="第三篇")
    html = client.get(middle.get_absolute_url()).content.decode()
    assert "第二篇" in html and "清风徐来" in html
    assert middle.published_at.astimezone().strftime("%Y-%m-%d") in html
    assert reverse("articles:tag", args=["提示词"]) in html
    assert first.get_absolute_url() in html and last.get_absolute_url() in html
    assert "5 分钟" in html or "5 min" in html


@pytest.mark.parametrize("as_member", [False, True])
def test_article_page_query_count_does_not_grow_with_the_column(client, as_member):
    column = make_column()
    grow(column, 3)
    article = column.articles.order_by("number")[1]
    if as_member:
        reader = make_user()
        make_membership(reader, column)
        client.force_login(reader)
    assert_constant_queries(client, article.get_absolute_url(), lambda: grow(column, 20))


def test_tag_page_lists_tagged_published_articles(client):
    column = make_column()
    tagged = make_article(column, title="带标签")
    tagged.tags.add("变现")
    make_article(column, title="没标签")
    html = client.get(reverse("articles:tag", args=["变现"])).content.decode()
    assert "带标签" in html and "没标签" not in html


def test_tag_page_query_count_does_not_grow(client):
    column = make_column()
    grow(column, 2)
    assert_constant_queries(client, reverse("articles:tag", args=["sora"]), lambda: grow(make_column(), 15))


def test_unknown_tag_is_404(client):
    assert client.get(reverse("articles:tag", args=["没有这个"])).status_code == 404


def test_author_page_lists_their_columns(client):
    author = make_author(display_name="清风徐来", bio="AI 知识传道者")
    make_column(title="他的专栏", authors=[author])
    make_column(title="别人的专栏")
    html = client.get(author.get_absolute_url()).content.decode()
    assert "他的专栏" in html and "别人的专栏" not in html and "AI 知识传道者" in html


def test_author_page_query_count_does_not_grow(client):
    author = make_author()
    make_column(authors=[author])
    assert_constant_queries(client, author.get_absolute_url(), lambda: [make_column(authors=[author]) for _ in range(6)])


def test_chinese_titles_get_stable_non_empty_urls():
    column = make_column(title="Sora，从入门到精通")
    assert column.slug == "sora-cong-ru-men-dao-jing-tong"
    column.title = "改了名字"
    column.save()
    assert column.slug == "sora-cong-ru-men-dao-jing-tong"
    assert make_column(title="Sora，从入门到精通").slug == "sora-cong-ru-men-dao-jing-tong-2"
    assert make_column(title="！！！").slug == "column"
