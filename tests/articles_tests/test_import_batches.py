"""Admin imports in the background: the upload returns at once, a task does the dry run and the
import a document at a time, the editor sees progress, can cancel, and a run that stopped resumes
without importing anything twice."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.importers import service
from articles.importers.batches import (
    BatchNotReady,
    batches_to_resume,
    import_batch_cancel,
    import_batch_confirm,
    import_batch_resume,
    import_batch_stage,
)
from articles.importers.progress import LEASE, batch_progress
from articles.models import Article, Column, ImportBatch, ImportBatchDocument
from tests.factories import make_editor
from tests.helpers import run_queued_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_tasks")]

UPLOAD_URL = reverse("admin:articles_importbatch_add")


def markdown_doc(number: int) -> str:
    return f"# 文档{number}\n\n第 {number} 篇的正文，足够长的一段话。\n\n## 小节\n\n更多内容 {number}。\n"


def zip_of(count: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(1, count + 1):
            archive.writestr(f"docs/doc{number:02d}.md", markdown_doc(number))
    return SimpleUploadedFile("docs.zip", buffer.getvalue())


def staged(count=3, **options) -> ImportBatch:
    defaults = {"column": None, "format": "", "split": "auto", "free_first": None, "publish": True}
    return import_batch_stage(user=make_editor(), files=[zip_of(count)], **{**defaults, **options})


def previewed(count=3) -> ImportBatch:
    batch = staged(count)
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    return batch


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def test_the_upload_returns_before_the_dry_run_which_a_worker_then_does(editor_client):
    response = editor_client.post(UPLOAD_URL, {"files": [zip_of(3)], "split": "auto", "publish": "on"})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert batch.status == ImportBatch.Status.ANALYZING and batch.dry_run_report == {}
    assert DBTaskResult.objects.ready().count() == 1
    page = editor_client.get(batch.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page

    assert run_queued_tasks() == 1
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert [file["filename"] for file in batch.dry_run_report["files"]] == ["docs/doc01.md", "docs/doc02.md", "docs/doc03.md"]
    assert not Article.objects.exists(), "a dry run writes nothing"
    page = editor_client.get(batch.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' not in page and "文档2" in page


def test_confirming_queues_the_import_and_the_worker_writes_every_document(editor_client):
    batch = previewed(3)
    editor_client.post(batch.get_absolute_url(), {"action": "confirm"})
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.QUEUED and not Article.objects.exists()
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED
    assert Column.objects.count() == 3
    assert [file["summary"]["create"] for file in batch.result_report["files"]] == [1, 1, 1]
    assert batch.finished_at is not None and batch.current_document == ""


def test_a_second_confirmation_is_refused():
    batch = previewed(1)
    import_batch_confirm(batch_id=batch.pk)
    with pytest.raises(BatchNotReady):
        import_batch_confirm(batch_id=batch.pk)
    run_queued_tasks()
    assert Article.objects.count() == 1


def test_cancelling_a_queued_import_stops_it_before_any_document():
    batch = previewed(3)
    import_batch_confirm(batch_id=batch.pk)
    batch = import_batch_cancel(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.CANCELLED
    run_queued_tasks()  # the task was already queued: it finds it has nothing to do
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED
    assert not Article.objects.exists()


def test_cancelling_mid_run_keeps_the_documents_done_and_stops_before_the_next(monkeypatch):
    batch = previewed(4)
    import_batch_confirm(batch_id=batch.pk)
    imported = []
    real_import_document = service.import_document

    def import_then_cancel(**kwargs):
        report = real_import_document(**kwargs)
        imported.append(report.filename)
        if len(imported) == 2:
            ImportBatch.objects.filter(pk=batch.pk).update(cancel_requested=True)  # the editor presses Cancel
        return report

    monkeypatch.setattr(service, "import_document", import_then_cancel)
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED
    assert imported == ["docs/doc01.md", "docs/doc02.md"]
    assert Column.objects.count() == 2
    assert [file["filename"] for file in batch.result_report["files"]] == imported


class WorkerKilled(BaseException):
    """What a worker stopped mid-task (SIGTERM twice, a deploy) raises through the task: not an Exception."""


def kill_worker_at(monkeypatch, document_number: int):
    real_import_document = service.import_document

    def import_or_die(**kwargs):
        if kwargs["document"].filename == f"docs/doc{document_number:02d}.md":
            raise WorkerKilled
        return real_import_document(**kwargs)

    monkeypatch.setattr(service, "import_document", import_or_die)


def test_an_import_whose_worker_died_resumes_where_it_stopped_and_imports_nothing_twice(monkeypatch):
    batch = previewed(4)
    import_batch_confirm(batch_id=batch.pk)
    kill_worker_at(monkeypatch, 3)
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING, "the run stopped without finishing"
    assert Column.objects.count() == 2
    assert batch_progress(batch).stalled

    monkeypatch.undo()
    call_command("resume_imports")
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED
    assert Column.objects.count() == 4 and Article.objects.count() == 4
    files = batch.result_report["files"]
    assert [file["filename"] for file in files] == [f"docs/doc{number:02d}.md" for number in range(1, 5)]
    # The documents done before the worker died are reported as created once, not re-imported as "unchanged".
    assert [file["summary"]["create"] for file in files] == [1, 1, 1, 1]
    assert ImportBatchDocument.objects.filter(batch=batch, phase="import").count() == 4


def test_a_dry_run_whose_worker_died_resumes_too(monkeypatch):
    batch = staged(3)
    kill_worker_at(monkeypatch, 2)
    run_queued_tasks()
    monkeypatch.undo()
    assert [found.pk for found in batches_to_resume()] == [batch.pk]
    import_batch_resume(batch_id=batch.pk)
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert len(batch.dry_run_report["files"]) == 3
    assert not Article.objects.exists()


def test_a_restarted_worker_resumes_the_import_it_was_running_and_no_other():
    batch = previewed(2)
    import_batch_confirm(batch_id=batch.pk)
    task = DBTaskResult.objects.ready().get()
    task.claim("node-a")  # node a's worker took it, then was killed: the task stays "running"
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING, heartbeat_at=timezone.now())

    assert batches_to_resume() == [], "a running task with a recent heartbeat may well be alive"
    assert batches_to_resume(restarted_worker="node-b") == []
    call_command("resume_imports", restarted_worker="node-a")
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED and Article.objects.count() == 2


def test_a_run_silent_for_longer_than_the_lease_counts_as_stopped():
    batch = previewed(2)
    import_batch_confirm(batch_id=batch.pk)
    DBTaskResult.objects.ready().get().claim("node-a")
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING, heartbeat_at=timezone.now() - LEASE - timedelta(seconds=1))
    assert [found.pk for found in batches_to_resume()] == [batch.pk]


def test_a_superseded_run_stops_at_its_next_document(monkeypatch):
    batch = previewed(3)
    import_batch_confirm(batch_id=batch.pk)
    old_task = DBTaskResult.objects.ready().get()
    real_import_document = service.import_document

    def import_then_get_superseded(**kwargs):
        report = real_import_document(**kwargs)
        ImportBatch.objects.filter(pk=batch.pk).update(run_token="someone-else")
        return report

    monkeypatch.setattr(service, "import_document", import_then_get_superseded)
    run_queued_tasks()
    old_task.refresh_from_db()
    assert old_task.return_value == "superseded"
    assert Column.objects.count() == 1


def test_progress_counts_documents_and_estimates_the_time_left(monkeypatch):
    batch = previewed(4)
    import_batch_confirm(batch_id=batch.pk)
    kill_worker_at(monkeypatch, 3)
    run_queued_tasks()
    batch.refresh_from_db()
    progress = batch_progress(batch, now=batch.heartbeat_at + timedelta(seconds=1))
    assert (progress.documents_total, progress.done, progress.failed, progress.remaining_documents) == (4, 2, 0, 2)
    assert progress.current_document == "docs/doc03.md"
    assert progress.elapsed is not None and progress.remaining is not None and progress.percent == 50


def test_the_progress_page_offers_cancel_while_running_and_resume_once_stopped(editor_client, monkeypatch):
    batch = previewed(3)
    import_batch_confirm(batch_id=batch.pk)
    page = editor_client.get(batch.get_absolute_url()).content.decode()
    assert 'value="cancel"' in page and 'value="resume"' not in page

    kill_worker_at(monkeypatch, 2)
    run_queued_tasks()
    monkeypatch.undo()
    page = editor_client.get(batch.get_absolute_url()).content.decode()
    assert 'value="resume"' in page and "doc02.md" in page
    editor_client.post(batch.get_absolute_url(), {"action": "resume"})
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED


def test_a_queued_import_no_worker_picks_up_says_so(editor_client):
    batch = previewed(1)
    import_batch_confirm(batch_id=batch.pk)
    ImportBatch.objects.filter(pk=batch.pk).update(imported_at=timezone.now() - timedelta(minutes=5))
    page = editor_client.get(batch.get_absolute_url()).content.decode()
    assert "db_worker" in page


def test_a_task_that_fails_marks_the_batch_failed_with_the_error(monkeypatch):
    batch = previewed(2)
    import_batch_confirm(batch_id=batch.pk)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "import_document", broken)
    run_queued_tasks()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and "disk full" in batch.error
    assert batches_to_resume() == [], "a failed run is not retried for ever"
