"""Background work of the articles app, run by `python manage.py db_worker` (django-tasks)."""

from django_tasks import task

from articles.importers.batches import import_batch_run
from articles.search.documents import tag_articles_refresh_search


@task()
def run_import_batch(*, batch_id: int, token: str) -> str:
    """An admin import's dry run or import (articles/importers/batches.py)."""
    return import_batch_run(batch_id=batch_id, token=token)


@task()
def refresh_tag_search_task(*, tag_id: int) -> int:
    """A renamed tag's articles' search documents (articles/search/documents.py): a tag may be on
    thousands of articles, more than the admin's save should wait for."""
    return tag_articles_refresh_search(tag_id=tag_id)
