"""Admin's two-step import: stage the uploaded files and show a dry run, then import on confirmation.

The files are kept in media storage between the steps, so the confirmation can land on any web node
and nothing has to be uploaded twice.
"""

import dataclasses

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from articles.importers.service import ImportOptions, ImportReport, Upload, import_uploads
from articles.models import Column, ImportBatch, ImportBatchFile

MAX_FILES = 50
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_BATCH_BYTES = 60 * 1024 * 1024


class BatchAlreadyImported(Exception):
    pass


def batch_options(batch: ImportBatch) -> ImportOptions:
    return ImportOptions(
        column_slug=batch.column.slug if batch.column else "",
        format=batch.format or None,
        split=batch.split,
        free_first=batch.free_first,
        publish=batch.publish,
    )


def report_as_data(report: ImportReport) -> dict:
    return {
        "dry_run": report.dry_run,
        "ok": report.ok,
        "files": [{**dataclasses.asdict(file), "summary": file.summary, "ok": file.ok} for file in report.files],
    }


def batch_uploads(batch: ImportBatch) -> list[Upload]:
    uploads = []
    for stored in batch.files.all():
        with stored.file.open("rb") as handle:
            uploads.append(Upload(stored.name, handle.read()))
    return uploads


def import_batch_stage(*, user, files, column: Column | None, format: str, split: str, free_first: int | None, publish: bool) -> ImportBatch:
    """Keep the uploaded files and record the dry run of importing them."""
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            created_by=user, column=column, format=format, split=split, free_first=free_first, publish=publish
        )
        for upload in files:
            data = upload.read()
            stored = ImportBatchFile(batch=batch, name=upload.name[:255], size=len(data))
            stored.file.save(upload.name, ContentFile(data), save=False)
            stored.save()
    report = import_uploads(uploads=batch_uploads(batch), options=batch_options(batch), dry_run=True)
    batch.dry_run_report = report_as_data(report)
    batch.save(update_fields=["dry_run_report"])
    return batch


def import_batch_confirm(*, batch_id: int) -> ImportBatch:
    """Run the import the editor reviewed. A batch imports once; a second confirmation is refused."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update(of=("self",)).select_related("column").get(pk=batch_id)
        if batch.status != ImportBatch.Status.PREVIEWED:
            raise BatchAlreadyImported(batch.pk)
        # Claim the batch before the import so a double click cannot run it twice.
        batch.status = ImportBatch.Status.FAILED
        batch.imported_at = timezone.now()
        batch.save(update_fields=["status", "imported_at"])
    report = import_uploads(uploads=batch_uploads(batch), options=batch_options(batch), dry_run=False)
    failed = len(report.failed)
    if failed == 0:
        batch.status = ImportBatch.Status.IMPORTED
    elif failed < len(report.files):
        batch.status = ImportBatch.Status.PARTLY_IMPORTED
    batch.result_report = report_as_data(report)
    batch.save(update_fields=["status", "result_report"])
    return batch
