"""How far a background import has got: the journal its run keeps, and what the progress page shows.

Each finished document is an ImportBatchDocument row, written in the same transaction as the
document's articles, so "done" in the database means done. The batch row carries the current
document and a heartbeat; a run that shows no sign of life for LEASE is taken for stopped.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django_tasks import TaskResultStatus

from articles.importers.results import FileReport
from articles.importers.service import Document, ImportJournal, Unreadable
from articles.models import ImportBatch, ImportBatchDocument

# The longest a healthy run goes without a heartbeat: one document (at most 20 MB) between two.
LEASE = timedelta(minutes=10)
# A queued run no worker has picked up after this long: the page says to check the worker.
WAITING_TOO_LONG = timedelta(minutes=1)


class BatchJournal(ImportJournal):
    """Records a batch's run in the database, and stops it when the editor cancels or another run takes over."""

    def __init__(self, *, batch: ImportBatch, phase: str, token: str):
        self.batch = batch
        self.phase = phase
        self.token = token
        self.cancelled = False
        self.superseded = False

    def begin(self, entries: list[Document | Unreadable]) -> set[int]:
        characters = sum(len(entry.text) for entry in entries if isinstance(entry, Document))
        ImportBatch.objects.filter(pk=self.batch.pk, run_token=self.token).update(documents_total=len(entries), characters_total=characters)
        return set(self.rows().values_list("position", flat=True))

    def starting(self, position: int, entry: Document | Unreadable) -> bool:
        state = ImportBatch.objects.filter(pk=self.batch.pk).values("run_token", "cancel_requested").first()
        if state is None or state["run_token"] != self.token:
            self.superseded = True
            return False
        if state["cancel_requested"]:
            self.cancelled = True
            return False
        ImportBatch.objects.filter(pk=self.batch.pk, run_token=self.token).update(current_document=entry.filename[:500], heartbeat_at=timezone.now())
        return True

    def record(self, position: int, entry: Document | Unreadable, report: FileReport) -> None:
        # A run that took over meanwhile may have recorded it first: the first record stands.
        ImportBatchDocument.objects.bulk_create(
            [
                ImportBatchDocument(
                    batch_id=self.batch.pk,
                    phase=self.phase,
                    position=position,
                    filename=entry.filename[:500],
                    ok=report.ok,
                    characters=len(entry.text) if isinstance(entry, Document) else 0,
                    report=report.as_data(),
                )
            ],
            ignore_conflicts=True,
        )

    def rows(self):
        return ImportBatchDocument.objects.filter(batch_id=self.batch.pk, phase=self.phase)


def batch_report_data(batch: ImportBatch, phase: str) -> dict:
    """The run's report as admin shows it: every recorded document, in upload order."""
    files = [row.report for row in ImportBatchDocument.objects.filter(batch=batch, phase=phase).order_by("position")]
    return {"dry_run": phase == ImportBatchDocument.Phase.DRY_RUN, "ok": all(file["ok"] for file in files), "files": files}


def stalled(batch: ImportBatch, *, restarted_worker: str = "", now: datetime | None = None) -> bool:
    """Whether the batch's run has stopped without finishing. A run that has not started is not
    stalled (it waits for a worker) unless its task has ended or vanished."""
    if batch.status not in ImportBatch.IN_PROGRESS or not batch.run_token:
        return False
    now = now or timezone.now()
    if batch.heartbeat_at is not None and now - batch.heartbeat_at > LEASE:
        return True
    task = task_result(batch)
    if task is None:
        return False  # no way to ask (a backend that keeps no results), or not queued yet
    if task == "missing" or task.is_finished:
        return True
    return bool(restarted_worker) and task.status == TaskResultStatus.RUNNING and task.worker_ids[-1:] == [restarted_worker]


def task_result(batch: ImportBatch):
    """The batch's task as its backend reports it; "missing" if the backend has no such task."""
    from django_tasks.exceptions import TaskResultDoesNotExist

    from articles.tasks import run_import_batch

    if not batch.task_id or not run_import_batch.get_backend().supports_get_result:
        return None
    try:
        return run_import_batch.get_result(batch.task_id)
    except TaskResultDoesNotExist:
        return "missing"


@dataclass(frozen=True)
class BatchProgress:
    phase: str
    documents_total: int
    done: int
    failed: int
    current_document: str
    elapsed: timedelta | None
    remaining: timedelta | None  # an estimate from this run's pace; None until there is one
    stalled: bool
    waiting_for_worker: bool
    cancel_requested: bool

    @property
    def remaining_documents(self) -> int:
        return max(self.documents_total - self.done - self.failed, 0)

    @property
    def percent(self) -> int:
        if not self.documents_total:
            return 0
        return min(100, round(100 * (self.done + self.failed) / self.documents_total))


def batch_progress(batch: ImportBatch, *, now: datetime | None = None) -> BatchProgress:
    now = now or timezone.now()
    phase = ImportBatchDocument.Phase.DRY_RUN if batch.status == ImportBatch.Status.ANALYZING else ImportBatchDocument.Phase.IMPORT
    started = batch.run_started_at if batch.heartbeat_at else None
    counts = ImportBatchDocument.objects.filter(batch=batch, phase=phase).aggregate(
        done=Count("pk", filter=Q(ok=True)),
        failed=Count("pk", filter=Q(ok=False)),
        characters_done=Sum("characters"),
        characters_this_run=Sum("characters", filter=Q(finished_at__gte=started) if started else Q(pk__in=[])),
    )
    remaining = None
    if started and counts["characters_this_run"]:
        pace = (now - started) / counts["characters_this_run"]
        remaining = pace * max(batch.characters_total - (counts["characters_done"] or 0), 0)
    return BatchProgress(
        phase=phase,
        documents_total=batch.documents_total,
        done=counts["done"],
        failed=counts["failed"],
        current_document=batch.current_document,
        elapsed=now - started if started else None,
        remaining=remaining,
        stalled=stalled(batch, now=now),
        waiting_for_worker=batch.heartbeat_at is None and now - batch_waiting_since(batch) > WAITING_TOO_LONG,
        cancel_requested=batch.cancel_requested,
    )


def batch_waiting_since(batch: ImportBatch) -> datetime:
    return batch.imported_at if batch.status == ImportBatch.Status.QUEUED and batch.imported_at else batch.created_at
