"""Admin's import, in the background: stage the uploaded files, dry-run them, import on confirmation.

    upload ──► analyzing ──► previewed ──confirm──► queued ──► running ──► imported / partly / failed
                  │                                    │           │
                  └─────────────── cancel ─────────────┴───────────┴──► cancelled

The upload returns as soon as the files are stored; both runs happen in a task (articles/tasks.py)
on whichever node's worker picks it up, because the files live in shared private storage. A run
belongs to the token it was started with: resuming a run that stopped (its worker was restarted)
starts a new token, and the old run, should it still be alive, stops at its next document.
Documents already recorded (progress.BatchJournal) are never imported twice.
"""

import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from articles.importers.progress import BatchJournal, batch_report_data, stalled
from articles.importers.service import ImportOptions, Upload, import_uploads
from articles.models import Column, ImportBatch, ImportBatchDocument, ImportBatchFile

MAX_FILES = 50
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_BATCH_BYTES = 60 * 1024 * 1024


class BatchNotReady(Exception):
    """The batch is not in a state that allows what was asked (confirmed twice, resumed while running)."""


def batch_options(batch: ImportBatch) -> ImportOptions:
    return ImportOptions(
        column_slug=batch.column.slug if batch.column else "",
        format=batch.format or None,
        split=batch.split,
        free_first=batch.free_first,
        publish=batch.publish,
    )


def batch_uploads(batch: ImportBatch) -> list[Upload]:
    uploads = []
    for stored in batch.files.all():
        with stored.file.open("rb") as handle:
            uploads.append(Upload(stored.name, handle.read()))
    return uploads


def import_batch_stage(*, user, files, column: Column | None, format: str, split: str, free_first: int | None, publish: bool) -> ImportBatch:
    """Keep the uploaded files and start their dry run in the background."""
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            created_by=user,
            column=column,
            format=format,
            split=split,
            free_first=free_first,
            publish=publish,
            status=ImportBatch.Status.ANALYZING,
        )
        for upload in files:
            data = upload.read()
            stored = ImportBatchFile(batch=batch, name=upload.name[:255], size=len(data))
            stored.file.save(upload.name, ContentFile(data), save=False)
            stored.save()
        start_run(batch)
    batch.refresh_from_db()
    return batch


def import_batch_confirm(*, batch_id: int) -> ImportBatch:
    """Queue the import the editor reviewed. A batch imports once; a second confirmation is refused."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(of=("self",)).get(pk=batch_id)
        if batch.status != ImportBatch.Status.PREVIEWED:
            raise BatchNotReady(batch.pk)
        batch.status = ImportBatch.Status.QUEUED
        batch.imported_at = timezone.now()
        batch.save(update_fields=["status", "imported_at"])
        start_run(batch)
    batch.refresh_from_db()
    return batch


def import_batch_cancel(*, batch_id: int) -> ImportBatch:
    """Stop the dry run or import: at once if no run is working on it, otherwise before its next
    document. Documents already imported stay imported; the report says which."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(of=("self",)).get(pk=batch_id)
        if not batch.in_progress:
            raise BatchNotReady(batch.pk)
        if batch.heartbeat_at is None or stalled(batch):
            finish_cancelled(batch)
        else:
            batch.cancel_requested = True
            batch.save(update_fields=["cancel_requested"])
    batch.refresh_from_db()
    return batch


def import_batch_resume(*, batch_id: int, restarted_worker: str = "") -> ImportBatch:
    """Start a run again where the stopped one left off (its worker was restarted or killed)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(of=("self",)).get(pk=batch_id)
        if not batch.in_progress or not stalled(batch, restarted_worker=restarted_worker):
            raise BatchNotReady(batch.pk)
        start_run(batch)
    batch.refresh_from_db()
    return batch


def start_run(batch: ImportBatch) -> None:
    """Give the batch a new run token and queue its task, in the caller's transaction: with the
    database backend the task row commits together with the batch's new state, or not at all."""
    from articles.tasks import run_import_batch

    batch.run_token = secrets.token_hex(16)
    batch.heartbeat_at = None
    batch.current_document = ""
    batch.cancel_requested = False
    batch.save(update_fields=["run_token", "heartbeat_at", "current_document", "cancel_requested"])
    result = run_import_batch.enqueue(batch_id=batch.pk, token=batch.run_token)
    ImportBatch.objects.filter(pk=batch.pk, run_token=batch.run_token).update(task_id=str(result.id))


def import_batch_run(*, batch_id: int, token: str) -> str:
    """The task's work: the dry run or the import, whichever the batch waits for. Returns what happened."""
    batch = ImportBatch.objects.select_related("column").filter(pk=batch_id, run_token=token).first()
    if batch is None or not batch.in_progress:
        return "superseded"
    dry_run = batch.status == ImportBatch.Status.ANALYZING
    phase = ImportBatchDocument.Phase.DRY_RUN if dry_run else ImportBatchDocument.Phase.IMPORT
    now = timezone.now()
    claimed = ImportBatch.objects.filter(pk=batch.pk, run_token=token).update(
        status=batch.status if dry_run else ImportBatch.Status.RUNNING, run_started_at=now, heartbeat_at=now, error=""
    )
    if not claimed:
        return "superseded"
    journal = BatchJournal(batch=batch, phase=phase, token=token)
    try:
        import_uploads(uploads=batch_uploads(batch), options=batch_options(batch), dry_run=dry_run, journal=journal)
    except Exception as error:
        ImportBatch.objects.filter(pk=batch.pk, run_token=token).update(
            status=ImportBatch.Status.FAILED, error=f"{error.__class__.__name__}: {error}", finished_at=timezone.now(), current_document=""
        )
        raise
    if journal.superseded:
        return "superseded"
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
        if batch.run_token != token:
            return "superseded"
        if journal.cancelled:
            finish_cancelled(batch)
            return "cancelled"
        report = batch_report_data(batch, phase)
        if dry_run:
            batch.dry_run_report = report
            batch.status = ImportBatch.Status.PREVIEWED
        else:
            batch.result_report = report
            failed = sum(1 for file in report["files"] if not file["ok"])
            if failed == 0:
                batch.status = ImportBatch.Status.IMPORTED
            elif failed < len(report["files"]):
                batch.status = ImportBatch.Status.PARTLY_IMPORTED
            else:
                batch.status = ImportBatch.Status.FAILED
        batch.current_document = ""
        batch.finished_at = timezone.now()
        batch.save()
    return batch.status


def finish_cancelled(batch: ImportBatch) -> None:
    """Record a cancelled batch with what its run had done by then; no run owns it any more."""
    importing = batch.status in (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING)
    if importing:
        batch.result_report = batch_report_data(batch, ImportBatchDocument.Phase.IMPORT)
    batch.status = ImportBatch.Status.CANCELLED
    batch.run_token = ""
    batch.cancel_requested = False
    batch.current_document = ""
    batch.finished_at = timezone.now()
    batch.save()


def batches_to_resume(*, restarted_worker: str = "") -> list[ImportBatch]:
    """Batches whose run stopped without finishing: its task ended or vanished, its worker is the one
    restarting now (`restarted_worker`), or it has shown no sign of life for progress.LEASE."""
    in_progress = ImportBatch.objects.filter(status__in=ImportBatch.IN_PROGRESS).exclude(run_token="")
    return [batch for batch in in_progress if stalled(batch, restarted_worker=restarted_worker)]
