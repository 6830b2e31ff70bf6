"""The search page: Chinese words find what readers mean, paid text stays with members, queries stay constant.

Runs on SQLite (FTS5) by default and on PostgreSQL (tsvector) when DATABASE_URL points there."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles import search_index
from articles.models import Article, Column
from tests.articles_tests.test_pages import assert_constant_queries
from tests.factories import make_article, make_author, make_column, make_editor, make_membership, make_user, paid_body

pytestmark = pytest.mark.django_db

SEARCH = reverse("articles:search")
PAID_ONLY_WORD = "镜头"  # only in the paid part of factories.paid_body()


def search(client, query, **params):
    response = client.get(SEARCH, {"q": query, **params})
    assert response.status_code == 200
    return response.content.decode()


def results(html):
    """The titles of the article results, in order."""
    return [chunk.split(">", 1)[1].split("</a>", 1)[0].replace("<mark>", "").replace("</mark>", "") for chunk in html.split('class="search-result__title"')[1:]]


@pytest.fixture
def column():
    return make_column(title="普通人的AI周刊")


@pytest.mark.parametrize("word", ["变现", "提示词", "模型"])
def test_chinese_words_find_articles_containing_them(client, column, word):
    make_article(column, title="第一篇", body=f"开场。今天聊聊大{word}的事情。", access=Article.Access.FREE)
    make_article(column, title="无关", body="今天天气不错，适合散步。", access=Article.Access.FREE)
    assert results(search(client, word)) == ["第一篇"]


def test_a_part_of_a_word_finds_the_word(client, column):
    make_article(column, title="写法", body="提示词的写法。", access=Article.Access.FREE)
    assert results(search(client, "提示")) == ["写法"]


def test_titles_rank_above_bodies(client, column):
    make_article(
        column, title="随笔", body="顺便提一句变现。" + "其他内容。" * 50, access=Article.Access.FREE, published_at=timezone.now() - timedelta(minutes=1)
    )
    make_article(column, title="变现的三条路", body="正文不提这个词。", access=Article.Access.FREE, published_at=timezone.now() - timedelta(days=30))
    assert results(search(client, "变现")) == ["变现的三条路", "随笔"]


@pytest.mark.parametrize("reader", ["anonymous", "non_member", "expired_member"])
def test_a_word_only_in_the_paid_part_finds_nothing_for_non_members(client, column, reader):
    make_article(column, title="会员文章", body=paid_body())
    if reader != "anonymous":
        user = make_user()
        if reader == "expired_member":
            make_membership(user, column, expired=True)
        client.force_login(user)
    html = search(client, PAID_ONLY_WORD)
    assert results(html) == []
    assert "分镜脚本" not in html


@pytest.mark.parametrize("reader", ["member", "author", "editor"])
def test_a_word_only_in_the_paid_part_finds_the_article_for_readers_with_a_snippet(client, reader):
    user = make_editor() if reader == "editor" else make_user()
    author = make_author(user=user) if reader == "author" else make_author()
    column = make_column(authors=[author])
    make_article(column, title="会员文章", body=paid_body())
    if reader == "member":
        make_membership(user, column)
    client.force_login(user)
    html = search(client, PAID_ONLY_WORD)
    assert results(html) == ["会员文章"]
    assert f"<mark>{PAID_ONLY_WORD}</mark>" in html


def search_as_staff(client, column, *, may_read_everything):
    """A paid article, searched by a staff account for a word of its paid part and for its title."""
    staff = make_user(is_staff=True)
    if may_read_everything:
        staff.user_permissions.add(Permission.objects.get(codename="read_all_articles", content_type__app_label="members"))
    make_article(column, title="提示词指南", body=paid_body())
    client.force_login(staff)
    title_match = search(client, "提示词")
    assert results(title_match) == ["提示词指南"]
    return search(client, PAID_ONLY_WORD), title_match


def test_staff_without_the_read_all_permission_search_like_any_visitor(client, column):
    paid_only_match, title_match = search_as_staff(client, column, may_read_everything=False)
    assert results(paid_only_match) == [] and "分镜脚本" not in paid_only_match
    assert "开场白" in title_match and "秘密" not in title_match  # the preview is the snippet


def test_staff_with_the_read_all_permission_search_the_paid_text(client, column):
    paid_only_match, title_match = search_as_staff(client, column, may_read_everything=True)
    assert results(paid_only_match) == ["提示词指南"] and f"<mark>{PAID_ONLY_WORD}</mark>" in paid_only_match
    assert "工程的秘密" in title_match  # the snippet comes from the paid text


def test_free_articles_and_free_columns_search_their_full_text_for_everyone(client):
    make_article(make_column(), title="免费文章", body=paid_body(), access=Article.Access.FREE)
    make_article(make_column(is_free=True), title="免费专栏的文章", body=paid_body())
    assert sorted(results(search(client, PAID_ONLY_WORD))) == ["免费专栏的文章", "免费文章"]


def test_snippets_for_non_members_never_contain_paid_text(client, column):
    make_article(column, title="提示词指南", body=paid_body())
    html = search(client, "提示词")
    assert results(html) == ["提示词指南"]
    assert "开场白" in html  # the preview is the snippet
    assert "付费段落" not in html and "秘密" not in html


def test_a_member_of_another_column_does_not_search_this_ones_paid_text(client, column):
    make_article(column, title="会员文章", body=paid_body())
    user = make_user()
    make_membership(user, make_column())
    client.force_login(user)
    assert results(search(client, PAID_ONLY_WORD)) == []


def test_tags_are_searchable_and_follow_changes(client, column):
    article = make_article(column, title="某篇", body="正文。", access=Article.Access.FREE)
    article.tags.add("Sora技巧")
    assert results(search(client, "sora")) == ["某篇"]
    article.tags.clear()
    assert results(search(client, "sora")) == []


def test_drafts_scheduled_posts_and_draft_columns_never_appear(client, column):
    make_article(column, title="草稿变现", status=Article.Status.DRAFT, access=Article.Access.FREE)
    make_article(column, title="定时变现", published_at=timezone.now() + timedelta(days=1), access=Article.Access.FREE)
    make_article(make_column(status=Column.Status.DRAFT), title="草稿专栏变现", access=Article.Access.FREE)
    client.force_login(make_editor())
    assert results(search(client, "变现")) == []


def test_edits_reach_the_index(client, column):
    article = make_article(column, title="旧标题", body="正文。", access=Article.Access.FREE)
    article.title = "新的变现标题"
    article.save()
    assert results(search(client, "变现")) == ["新的变现标题"]
    article.delete()
    assert results(search(client, "变现")) == []


def test_search_within_one_column(client, column):
    make_article(column, title="这里的变现", access=Article.Access.FREE)
    other = make_column()
    make_article(other, title="别处的变现", access=Article.Access.FREE)
    html = search(client, "变现", column=column.slug)
    assert results(html) == ["这里的变现"]
    assert 'name="column" value="%s"' % column.slug in html
    assert client.get(SEARCH, {"q": "变现", "column": "no-such-column"}).status_code == 404


def test_column_page_has_a_search_box_for_the_column(client, column):
    html = client.get(column.get_absolute_url()).content.decode()
    assert f'action="{SEARCH}"' in html and f'name="column" value="{column.slug}"' in html


def test_columns_are_found_by_title_intro_and_author(client):
    make_column(title="提示词研究所")
    make_column(title="别的", intro="这里专门讲提示词。")
    make_column(title="第三个", authors=[make_author(display_name="提示词老王")])
    make_column(title="无关专栏")
    html = search(client, "提示词")
    assert "提示词研究所" in html and "别的" in html and "第三个" in html and "无关专栏" not in html
    assert html.index("提示词研究所") < html.index("别的")


def found_columns(client, query):
    html = search(client, query)
    if 'class="search-columns__list"' not in html:
        return []
    listing = html.split('class="search-columns__list"', 1)[1].split("</ul>", 1)[0]
    return [chunk.split(">", 1)[1].split("</a>", 1)[0] for chunk in listing.split("<a href=")[1:]]


def test_columns_follow_their_authors_names_whichever_side_changes(client):
    author = make_author(display_name="王小明")
    column = make_column(title="某专栏", authors=[])
    assert found_columns(client, "小明") == []
    column.authors.add(author)
    assert found_columns(client, "小明") == ["某专栏"]
    author.display_name = "李四"
    author.save()
    assert found_columns(client, "小明") == [] and found_columns(client, "李四") == ["某专栏"]
    author.columns.clear()
    assert found_columns(client, "李四") == []
    author.columns.add(column)
    assert found_columns(client, "李四") == ["某专栏"]
    author.delete()
    assert found_columns(client, "李四") == []


def test_column_edits_and_drafts_reach_column_search(client):
    column = make_column(title="旧名字", intro="讲摄影。")
    assert found_columns(client, "摄影") == ["旧名字"]
    column.title, column.intro = "新名字", "讲咖啡。"
    column.save()
    assert found_columns(client, "摄影") == [] and found_columns(client, "咖啡") == ["新名字"]
    column.status = Column.Status.DRAFT
    column.save()
    assert found_columns(client, "咖啡") == []


def test_rebuild_search_index_restores_column_documents(client):
    make_column(title="提示词研究所")
    Column.objects.update(search_document="")
    assert found_columns(client, "提示词") == []
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))
    assert found_columns(client, "提示词") == ["提示词研究所"]


def test_results_paginate_and_keep_the_query(client, column, settings):
    settings.PAGE_SIZE = 2
    for n in range(5):
        make_article(column, title=f"变现第{n}篇", access=Article.Access.FREE)
    first = search(client, "变现")
    third = search(client, "变现", page=3)
    assert len(results(first)) == 2 and len(results(third)) == 1
    assert "5 articles" in first or "5 篇" in first
    assert "q=%E5%8F%98%E7%8E%B0" in first and "page=2" in first
    assert 'value="变现"' in first


def test_empty_and_too_short_queries_explain_themselves(client):
    assert "Type a word" in search(client, "") or "输入" in search(client, "")
    html = search(client, "书")
    assert "at least two" in html or "两个" in html
    assert 'value="书"' in html


def test_no_results_says_so(client, column):
    make_article(column, title="某篇", access=Article.Access.FREE)
    html = search(client, "量子纠缠")
    assert results(html) == []
    assert "量子纠缠" in html


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        '"提示词" OR 变现',
        "a & b | !c",
        "NEAR(a b)",
        "col:变现",
        "{search_body}: 镜头",
        "*",
        "^变现",
        "-",
        "\\",
        "%_",
        "x" * 10_000,
        "变现 " * 3000,
        "\x00",
        "<script>alert(1)</script>",
    ],
)
def test_hostile_queries_never_error(client, column, query):
    make_article(column, title="变现", body=paid_body())
    html = search(client, query)
    assert "<script>alert" not in html
    assert "分镜脚本" not in html


def test_hostile_page_and_column_parameters(client):
    assert client.get(SEARCH, {"q": "变现", "page": "9999"}).status_code == 200
    assert client.get(SEARCH, {"q": "变现", "page": "x'"}).status_code == 200
    assert client.get(SEARCH, {"q": "变现", "column": "x" * 5000}).status_code == 404


def test_query_with_html_is_escaped_in_the_page(client):
    html = search(client, "<img src=x onerror=alert(1)>变现")
    assert "<img src=x" not in html


def test_header_has_a_search_box(client):
    assert f'action="{SEARCH}"' in client.get(reverse("articles:home")).content.decode()


@pytest.mark.parametrize("as_member", [False, True])
def test_search_query_count_does_not_grow(client, as_member):
    column = make_column(title="变现专栏")
    if as_member:
        reader = make_user()
        make_membership(reader, column)
        client.force_login(reader)

    def grow():
        for n in range(15):
            article = make_article(column, title=f"变现{n}", access=Article.Access.FREE if n % 2 else Article.Access.MEMBERS)
            article.tags.add("变现")
        make_column(title="又一个变现专栏")

    make_article(column, title="变现起点")
    assert_constant_queries(client, SEARCH + "?q=变现", grow)


def test_rebuild_search_index_restores_documents_and_a_dropped_index(client, column):
    make_article(column, title="变现之道", access=Article.Access.FREE)
    Article.objects.update(search_title="", search_preview="", search_body="")
    if connection.vendor == "sqlite" and search_index.fts5_available():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {search_index.FTS_TABLE}_update")
    assert results(search(client, "变现")) == []
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))
    assert results(search(client, "变现")) == ["变现之道"]


def test_sqlite_without_fts5_falls_back_to_like(client, column, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("the fallback is SQLite's")
    monkeypatch.setattr(search_index, "fts5_available", lambda: False)
    make_article(column, title="标题里有变现", body="正文。", access=Article.Access.FREE)
    make_article(column, title="会员文章", body=paid_body())
    assert results(search(client, "变现")) == ["标题里有变现"]
    assert results(search(client, PAID_ONLY_WORD)) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ranking window is PostgreSQL's")
def test_a_common_word_ranks_the_newest_matches_and_says_there_are_more(client, monkeypatch):
    monkeypatch.setattr("articles.search.postgres.RANK_WINDOW", 3)
    monkeypatch.setattr("articles.views.RANK_WINDOW", 3)
    column = make_column(is_free=True, plans=())
    for number in range(5):
        make_article(column, title=f"变现第{number}课", body="变现的方法。")
    response = client.get(reverse("articles:search"), {"q": "变现"})
    assert response.context["page"].paginator.count == 3
    assert response.context["results_capped"]
    assert "3+" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the tsvector columns are PostgreSQL's")
def test_the_text_search_in_a_subquery_reads_its_own_rows():
    """Admin's search puts the index search in a subquery: its vector must be the subquery's own
    table, not the outer one (which would run one sub-search per article)."""
    from articles.search import text_matches

    sql = str(Article.objects.filter(pk__in=text_matches(["变现"])).query)
    assert 'U0."search_full_vector"' in sql
    assert '"articles_article"."search_full_vector"' not in sql
