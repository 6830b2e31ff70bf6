"""Querysets compiled once (portal/compiled.py) answer exactly what the ORM answers."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from articles.access import access_annotations, readable_column_ids
from articles.models import Article
from articles.selectors import ReadingPass, reading_pass
from portal.compiled import KEPT_CURSOR_ATTR, CompiledQuery
from tests.factories import make_article, make_author, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db


def titles_after(*, column_id, since):
    return Article.objects.filter(column_id=column_id, published_at__gte=since).order_by("number").values_list("title", "published_at")


def test_a_compiled_query_gives_the_orms_answer_for_any_values():
    first, second = make_column(), make_column()
    now = timezone.now()
    for column in (first, second):
        for hours in (1, 5, 30):
            make_article(column, title=f"{column.pk}-{hours}", published_at=now - timedelta(hours=hours))
    compiled = CompiledQuery(titles_after, column_id=1, since=datetime(2000, 1, 1, tzinfo=UTC))
    for column in (first, second):
        for since in (now - timedelta(hours=2), now - timedelta(hours=10), now - timedelta(days=9)):
            assert compiled.rows(column_id=column.pk, since=since) == list(titles_after(column_id=column.pk, since=since))
    assert compiled.first(column_id=999_999, since=now) is None


def test_a_query_whose_sql_depends_on_its_values_is_refused():
    def by_section(*, section_id):
        # section_id=None would become IS NULL: the SQL itself changes, so it cannot be reused.
        return Article.objects.filter(section_id=section_id if section_id > 1 else None).values_list("pk")

    with pytest.raises(ValueError):
        CompiledQuery(by_section, section_id=1).rows(section_id=5)
    with pytest.raises(TypeError):
        CompiledQuery(titles_after, column_id=1.5, since=datetime(2000, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="rewritten"):
        # icontains turns the value into %…%: a new value could not be put in its place.
        CompiledQuery(lambda *, word: Article.objects.filter(title__icontains=word).values_list("pk"), word="x").rows(word="y")
    with pytest.raises(TypeError):
        CompiledQuery(titles_after, column_id=1, since=datetime(2000, 1, 1, tzinfo=UTC)).rows(column_id=1)


def test_the_one_query_access_check_agrees_with_the_rule_everywhere_else():
    """Every kind of membership and authorship: the article page's one query (annotations and
    the precompiled reading pass) answers as readable_column_ids does."""
    reader = make_user()
    now = timezone.now()
    author = make_author(user=reader)
    columns = {
        "active": make_column(),
        "lifetime": make_column(),
        "expired": make_column(),
        "revoked": make_column(),
        "not started": make_column(),
        "authored": make_column(authors=[author]),
        "none": make_column(),
        "someone else's": make_column(),
    }
    make_membership(reader, columns["active"], days=30)
    make_membership(reader, columns["lifetime"])
    make_membership(reader, columns["expired"], expired=True)
    revoked = make_membership(reader, columns["revoked"], days=30)
    revoked.revoked_at = now
    revoked.save()
    future = make_membership(reader, columns["not started"], days=30)
    future.starts_at = now + timedelta(days=1)
    future.save()
    make_membership(make_user(), columns["someone else's"], days=30)
    readable = readable_column_ids(reader)
    assert {name for name, column in columns.items() if column.pk in readable} == {"active", "lifetime", "authored"}
    for name, column in columns.items():
        article = make_article(column)
        annotated = Article.objects.annotate(**access_annotations(reader)).get(pk=article.pk)
        fast = reading_pass(article.pk, reader.pk).article
        expected = column.pk in readable
        assert annotated.reader_may_read == expected, name
        assert fast.reader_access.may_read == expected, name
        assert fast.column_id == column.pk and fast.is_visible and fast.body_html == article.body_html
        assert fast.title == article.title and fast.column.title == column.title  # deferred fields load on access
    missing_article = reading_pass(999_999, reader.pk)
    assert missing_article.article is None and missing_article.user_row[0] == reader.pk
    assert reading_pass(article.pk, 999_999) == ReadingPass(None, None)


def test_joined_querysets_run_as_one_statement_and_say_which_part_found_nothing(django_assert_num_queries):
    column = make_column()
    article = make_article(column, title="joined")
    reader = make_user()
    compiled = CompiledQuery(
        lambda *, user_pk, article_pk: (
            get_user_model().objects.filter(pk=user_pk).values_list("pk", "email"),
            Article.objects.filter(pk=article_pk).values_list("pk", "title", "published_at"),
        ),
        user_pk=1,
        article_pk=1,
    )
    with django_assert_num_queries(1):
        both = compiled.first(user_pk=reader.pk, article_pk=article.pk)
    assert both == ((reader.pk, reader.email), (article.pk, "joined", article.published_at))
    assert both[1][2].tzinfo is not None  # each part's values converted as the ORM converts them
    assert compiled.first(user_pk=reader.pk, article_pk=999_999) == ((reader.pk, reader.email), None)
    assert compiled.first(user_pk=999_999, article_pk=article.pk) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="lists go as PostgreSQL arrays")
def test_strings_and_lists_of_ids_vary_as_parameters():
    column = make_column()
    first, second, third = (make_article(column, title=title) for title in ("甲", "乙", "丙"))
    compiled = CompiledQuery(
        lambda *, title, ids: Article.objects.filter(pk__any=ids).exclude(title=title).order_by("pk").values_list("title"),
        title="example",
        ids=[1],
    )
    assert compiled.rows(title="乙", ids=[first.pk, second.pk, third.pk]) == [("甲",), ("丙",)]
    assert compiled.rows(title="甲", ids=[first.pk]) == []
    assert compiled.rows(title="甲", ids=[]) == []


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor is psycopg's")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_compiled_queries_keep_one_cursor_per_database_connection():
    column = make_column()
    make_article(column, title="kept")
    compiled = CompiledQuery(lambda *, column_id: Article.objects.filter(column_id=column_id).values_list("title"), column_id=1)
    assert compiled.rows(column_id=column.pk) == [("kept",)]
    cursor = getattr(connection, KEPT_CURSOR_ATTR)[2]
    assert cursor is not None
    assert compiled.rows(column_id=column.pk) == [("kept",)]
    assert getattr(connection, KEPT_CURSOR_ATTR)[2] is cursor
    connection.close()  # what a request's end does to an old or broken connection
    assert compiled.rows(column_id=column.pk) == [("kept",)]
    assert getattr(connection, KEPT_CURSOR_ATTR)[2] is not cursor


@postgres_only
def test_compiled_queries_refuse_to_run_in_a_broken_transaction_as_django_does():
    compiled = CompiledQuery(lambda *, pk: Article.objects.filter(pk=pk).values_list("title"), pk=1)
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            with transaction.atomic(savepoint=False):  # an error leaves the outer block to be rolled back
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1/0")
        with pytest.raises(TransactionManagementError):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        with pytest.raises(TransactionManagementError):
            compiled.rows(pk=1)


@postgres_only
def test_compiled_queries_go_through_execute_wrappers():
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    compiled = CompiledQuery(lambda *, pk: Article.objects.filter(pk=pk).values_list("title"), pk=1)
    with connection.execute_wrapper(wrapper):
        assert compiled.rows(pk=1) == []
    assert len(seen) == 1 and "articles_article" in seen[0]
