"""Querysets compiled once (portal/compiled.py) answer exactly what the ORM answers."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from articles.access import access_annotations, readable_column_ids
from articles.models import Article
from articles.selectors import READING_PASS, reading_pass
from portal.compiled import CompiledQuery
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
        CompiledQuery(titles_after, column_id="1", since=datetime(2000, 1, 1, tzinfo=UTC))
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
        fast = reading_pass(article.pk, reader)
        expected = column.pk in readable
        assert (annotated.reader_is_member or annotated.reader_is_author) == expected, name
        assert (fast.reader_access.member or fast.reader_access.author) == expected, name
        assert fast.column_id == column.pk and fast.is_visible and fast.body_html == article.body_html
    assert READING_PASS.first(pk=999_999, user_pk=reader.pk, now=now) is None
