"""Background work of the articles app, run by `python manage.py db_worker` (django-tasks)."""

from django_tasks import task

from articles.importers.batches import import_batch_run


@task()
def run_import_batch(*, batch_id: int, token: str) -> str:
    """An admin import's dry run or import (articles/importers/batches.py)."""
    return import_batch_run(batch_id=batch_id, token=token)
