"""A batch import stays linear in queries: bench/import_xiaobot.py measures the real figure (2,000
pages) and bench/inputs.py times these forty, this keeps a regression from reaching them unnoticed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.importers.service import ImportOptions, Upload, import_uploads
from articles.models import Article, Column
from bench.import_xiaobot import generate_pages

pytestmark = pytest.mark.django_db

PAGES = 40  # more than RENDER_AHEAD_MIN_DOCUMENTS: with two cores or more, a render worker takes part
# Each page costs a fixed sixteen or so queries (column, author, sections, existing articles, one
# INSERT for all its articles, the column's figures); one query per article would double it.
QUERIES_PER_PAGE = 20


@pytest.fixture(scope="module")
def pages():
    return generate_pages(PAGES)


def uploads_of(pages):
    return [Upload(page.filename, page.text.encode()) for page in pages]


def test_queries_grow_with_pages_not_with_articles(pages):
    with CaptureQueriesContext(connection) as queries:
        report = import_uploads(uploads=uploads_of(pages), options=ImportOptions(), dry_run=False)
    assert report.ok
    # Every page and post written: an import that wrote less would meet the bound and prove nothing.
    assert Column.objects.count() == PAGES
    assert Article.objects.count() == sum(page.posts for page in pages)
    assert len(queries) <= PAGES * QUERIES_PER_PAGE


def test_html_and_search_documents_done_ahead_in_workers_are_what_doing_it_here_gives(pages):
    import_uploads(uploads=uploads_of(pages), options=ImportOptions(), dry_run=False)
    fields = ("body_html", "preview_html", "summary", "word_count", "has_more", "search_title", "search_preview", "search_body")
    for article in Article.objects.order_by("pk")[::37]:
        rendered_here = Article(title=article.title, body=article.body)
        rendered_here.render()
        assert [getattr(article, name) for name in fields] == [getattr(rendered_here, name) for name in fields]
