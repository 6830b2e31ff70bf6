"""Recompute every article's and column's search documents and reindex them, e.g. after tags were
renamed or the segmenting dictionary changed: `manage.py rebuild_search_index`."""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from articles import page_cache, search_index
from articles.markdown import html_to_text
from articles.models import Article, Column
from articles.segmenting import index_text
from articles.services import column_refresh_search_documents

BATCH = 500


class Command(BaseCommand):
    help = "Recompute the search documents of every article and column and rebuild the search index."

    def handle(self, *args, **options):
        articles = Article.objects.only("pk", "title", "preview_html", "body_html").prefetch_related("tags").order_by("pk")
        done, last_pk = 0, 0
        while batch := list(articles.filter(pk__gt=last_pk)[:BATCH]):
            for article in batch:
                article.search_title = index_text(article.title)
                article.search_tags = index_text(" ".join(sorted(tag.name for tag in article.tags.all())))
                article.search_preview = index_text(html_to_text(article.preview_html))
                article.search_body = index_text(html_to_text(article.body_html))
            with transaction.atomic():
                Article.objects.bulk_update(batch, ["search_title", "search_tags", "search_preview", "search_body"])
            done += len(batch)
            last_pk = batch[-1].pk
        column_ids = list(Column.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(column_ids), BATCH):
            with transaction.atomic():
                column_refresh_search_documents(column_ids=column_ids[start : start + BATCH])
        with transaction.atomic():
            search_index.ensure(connection)
            search_index.rebuild(connection)
        search_index.merge_pending_entries(connection)
        page_cache.pages_changed()  # bulk updates send no signals; kept search pages are stale now
        self.stdout.write(f"Reindexed {done} articles and {len(column_ids)} columns.")
