"""The search migrations, frozen (0004 and 0007 carry copies of the code they run, see
tests/test_migrations_frozen.py): their copies still fill documents search finds and build the index.

Runs on SQLite by default and on PostgreSQL when DATABASE_URL points there."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from articles import page_cache
from articles.models import Article, Column
from articles.search import search_columns
from tests.articles_tests.test_search import results, search
from tests.factories import make_article, make_author, make_column

articles_search = importlib.import_module("articles.migrations.0004_search")
column_search = importlib.import_module("articles.migrations.0007_column_search")
SCHEMA_EDITOR = SimpleNamespace(connection=connection)


@pytest.fixture(scope="module")
def words():
    return articles_search.load_words()


def test_the_frozen_segmenting_indexes_every_character_and_every_word_starting_there(words):
    assert articles_search.index_text(words, "提示词变现") == "提 提示 提示词 示 词 变 变现 现"
    assert column_search.index_text(words, "Sora技巧 ＡＢＣ") == "sora 技 技巧 巧 abc"


@pytest.mark.django_db
def test_0004_fills_the_documents_of_articles_already_there(client):
    article = make_article(make_column(), title="变现之道", body="开场。正文讲分镜脚本。", access=Article.Access.FREE)
    article.tags.add("Sora技巧")
    Article.objects.update(search_title="", search_tags="", search_preview="", search_body="")
    assert results(search(client, "变现")) == []
    articles_search.fill_documents(apps, SCHEMA_EDITOR)
    page_cache.pages_changed()  # as migrate's post_migrate does: the empty result above was kept
    for word in ("变现", "sora", "分镜"):
        assert results(search(client, word)) == ["变现之道"]


@pytest.mark.django_db
def test_0004_removes_and_installs_the_index_search_reads(client):
    make_article(make_column(), title="变现之道", access=Article.Access.FREE)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the test's own transaction: ALTER TABLE waits for no deferred check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    articles_search.uninstall_index(apps, SCHEMA_EDITOR)
    articles_search.install_index(apps, SCHEMA_EDITOR)
    assert results(search(client, "变现")) == ["变现之道"]


@pytest.mark.django_db
def test_0007_fills_the_documents_of_columns_already_there():
    column = make_column(title="普通人的周刊", authors=[make_author(display_name="李小龙")])
    Column.objects.update(search_document="")
    assert search_columns(["李小龙"]) == []
    column_search.fill_documents(apps, SCHEMA_EDITOR)
    assert search_columns(["李小龙"]) == [column]
