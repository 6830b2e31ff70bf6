"""Renaming a tag renames it in search: its articles are found by the new name, no longer by the old.

Runs on SQLite (FTS5 over the stored documents) by default and on PostgreSQL (generated tsvectors)
when DATABASE_URL points there."""

import pytest
from taggit.models import Tag

from articles.models import Article
from tests.articles_tests.test_search import results, search
from tests.factories import make_article, make_column
from tests.helpers import run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged():
    """Two articles under the tag to be renamed (one of them with a second tag that must survive) and one without it."""
    column = make_column()
    first = make_article(column, title="第一篇", body="正文。", access=Article.Access.FREE)
    second = make_article(column, title="第二篇", body="正文。", access=Article.Access.FREE)
    make_article(column, title="无关", body="正文。", access=Article.Access.FREE).tags.add("其他")
    first.tags.add("Sora技巧")
    second.tags.add("Sora技巧", "复盘")
    return Tag.objects.get(name="Sora技巧")


def rename(tag, name):
    tag.name = name
    tag.save()


def test_a_renamed_tag_finds_its_articles_by_the_new_name_only(client, tagged, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rename(tagged, "Runway教程")
    assert sorted(results(search(client, "runway"))) == ["第一篇", "第二篇"]
    assert results(search(client, "sora")) == []
    assert results(search(client, "复盘")) == ["第二篇"]


def test_the_rename_reaches_search_through_the_background_worker(client, tagged, database_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rename(tagged, "Runway教程")
    assert sorted(results(search(client, "sora"))) == ["第一篇", "第二篇"]  # queued, not yet run
    assert run_queued_tasks() == 1
    assert sorted(results(search(client, "runway"))) == ["第一篇", "第二篇"]
    assert results(search(client, "sora")) == []


def test_nothing_is_queued_until_the_rename_commits(tagged, database_tasks, django_capture_on_commit_callbacks):
    """A task run before the commit would read the old name and write it back."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rename(tagged, "Runway教程")
    assert run_queued_tasks() == 0
    for callback in callbacks:
        callback()
    assert run_queued_tasks() == 1
