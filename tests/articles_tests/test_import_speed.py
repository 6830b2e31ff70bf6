"""A batch import stays linear: bench/import_xiaobot.py measures the real figure (2,000 pages), this
keeps a regression from reaching it unnoticed."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.importers.service import ImportOptions, Upload, import_uploads
from articles.models import Article, Column
from bench.import_xiaobot import generate_pages

pytestmark = pytest.mark.django_db

PAGES = 40  # more than RENDER_AHEAD_MIN_DOCUMENTS: with two cores or more, a render worker takes part
# About 2 s on the 2-core development machine; the margin keeps a busy CI runner from failing.
BUDGET_SECONDS = 10
# Each page costs a fixed sixteen or so queries (column, author, sections, existing articles, one
# INSERT for all its articles, the column's figures); one query per article would double it.
QUERIES_PER_PAGE = 20


@pytest.fixture(scope="module")
def pages():
    return generate_pages(PAGES)


def uploads_of(pages):
    return [Upload(page.filename, page.text.encode()) for page in pages]


def test_forty_pages_import_within_a_generous_budget(pages):
    started = time.perf_counter()
    report = import_uploads(uploads=uploads_of(pages), options=ImportOptions(), dry_run=False)
    elapsed = time.perf_counter() - started
    assert report.ok
    assert Column.objects.count() == PAGES
    assert Article.objects.count() == sum(page.posts for page in pages)
    assert elapsed < BUDGET_SECONDS, f"{PAGES} pages took {elapsed:.1f} s"


def test_queries_grow_with_pages_not_with_articles(pages):
    with CaptureQueriesContext(connection) as queries:
        report = import_uploads(uploads=uploads_of(pages), options=ImportOptions(), dry_run=False)
    assert report.ok
    assert len(queries) <= PAGES * QUERIES_PER_PAGE


def test_html_rendered_ahead_in_workers_is_what_rendering_here_gives(pages):
    import_uploads(uploads=uploads_of(pages), options=ImportOptions(), dry_run=False)
    for article in Article.objects.order_by("pk")[::37]:
        rendered_here = Article(body=article.body)
        rendered_here.render()
        assert (article.body_html, article.preview_html, article.summary, article.word_count, article.has_more) == (
            rendered_here.body_html,
            rendered_here.preview_html,
            rendered_here.summary,
            rendered_here.word_count,
            rendered_here.has_more,
        )
