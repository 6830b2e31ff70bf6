"""Admin's column exports, in the background:

    action on columns ──► queued ──► running (articles done / in all) ──► done (a zip to download)
                                                                     └─► failed (the error; no file)

The action returns at once; the task (django-tasks, run by `manage.py db_worker`) writes the zip
to a local temporary file and hands it to private storage only when it is complete, so no half
file is ever stored. Who may export and download is asked again when the task runs and at each
download: the export holds paid text and readers' addresses.
"""

import logging
import tempfile
import zipfile
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from articles.models import Column
from members.access import can_read_column
from members.exports.archive import zip_writer
from members.exports.column import column_export_write
from members.models import ColumnExport

logger = logging.getLogger(__name__)

VIEW_ORDERS = "members.view_order"
# Progress is written at most this often: a large column would otherwise write a row per article.
PROGRESS_EVERY = timedelta(seconds=1)
# A running export silent for this long has lost its worker (one article, or one image, between two signs).
STALLED_AFTER = timedelta(minutes=10)


class ExportRefused(Exception):
    """The person may not export this column; the message says why, for admin."""


def may_export(user, column: Column) -> bool:
    """Staff who may see the column's orders (the CSVs) and read all of its text (the articles)."""
    return bool(user is not None and user.is_active and user.is_staff and user.has_perm(VIEW_ORDERS) and can_read_column(user, column))


def column_export_start(*, column: Column, user) -> ColumnExport:
    """Record the export and queue its task, in one transaction: with the database task backend
    the task row commits with the export, or neither does."""
    if not may_export(user, column):
        raise ExportRefused(column.title)
    with transaction.atomic():
        export = ColumnExport.objects.create(column=column, requested_by=user, progress_total=column.articles.count())
        result = run_column_export.enqueue(export_id=export.pk)
        ColumnExport.objects.filter(pk=export.pk, task_id="").update(task_id=str(result.id))
    export.refresh_from_db()
    return export


@task()
def run_column_export(*, export_id: int) -> str:
    return column_export_run(export_id=export_id)


def column_export_run(*, export_id: int) -> str:
    """The task's work. Returns the export's final status ("superseded" when another run has it)."""
    now = timezone.now()
    if not ColumnExport.objects.filter(pk=export_id, status=ColumnExport.Status.QUEUED).update(
        status=ColumnExport.Status.RUNNING, started_at=now, heartbeat_at=now
    ):
        return "superseded"
    export = ColumnExport.objects.select_related("column", "requested_by").get(pk=export_id)
    try:
        if not may_export(export.requested_by, export.column):
            raise ExportRefused("the person who asked for this export may no longer export the column")
        stored_name, size = write_and_store(export)
    except Exception as error:
        logger.exception("Export %s of column %s failed", export.pk, export.column_id)
        ColumnExport.objects.filter(pk=export.pk).update(
            status=ColumnExport.Status.FAILED, error=f"{error.__class__.__name__}: {error}", finished_at=timezone.now()
        )
        return ColumnExport.Status.FAILED
    ColumnExport.objects.filter(pk=export.pk).update(status=ColumnExport.Status.DONE, file=stored_name, size=size, finished_at=timezone.now())
    return ColumnExport.Status.DONE


def write_and_store(export: ColumnExport) -> tuple[str, int]:
    """The zip, written to a local temporary file and then saved to private storage whole."""
    reporter = ProgressReporter(export.pk)
    filename = f"{export.column.slug}-{timezone.localtime(export.created_at):%Y%m%d-%H%M}.zip"
    with tempfile.TemporaryFile() as scratch:
        with zipfile.ZipFile(scratch, "w") as archive:
            column_export_write(column=export.column, write=zip_writer(archive), reader=export.requested_by, progress=reporter)
        size = scratch.tell()
        scratch.seek(0)
        stored_name = export.file.storage.save(export.file.field.generate_filename(export, filename), File(scratch, name=filename))
    return stored_name, size


class ProgressReporter:
    """Writes how far the export has got, at most every PROGRESS_EVERY, and always the last step."""

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.written_at = None

    def __call__(self, done: int, total: int) -> None:
        now = timezone.now()
        if done < total and self.written_at is not None and now - self.written_at < PROGRESS_EVERY:
            return
        ColumnExport.objects.filter(pk=self.export_id).update(progress_done=done, progress_total=total, heartbeat_at=now)
        self.written_at = now


def stalled(export: ColumnExport, *, now=None) -> bool:
    now = now or timezone.now()
    return export.status == ColumnExport.Status.RUNNING and export.heartbeat_at is not None and now - export.heartbeat_at > STALLED_AFTER
