"""When member emails go out: the tasks that announce and send new-article emails and renewal
reminders, and what enqueues them. What is sent, to whom and how often it is tried is
members.notifications and members.renewal_reminders; their docstrings tell the whole flows.

Tasks take JSON arguments (an article's id, a reminder's id), so a task run later reads the
article or the membership as it is then.
Deferring (run_after) needs a backend that keeps tasks, like the database one; the "immediate"
backend runs every task where it is enqueued and cannot defer, so there scheduled articles and
retries wait for the `send_new_article_emails` command, and reminders' retries for the next hourly
`send_renewal_reminders`.
"""

import logging
import math
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from articles.models import Article, Column
from members.notifications import (
    STALE_CLAIM,
    Retry,
    SendReport,
    announcement_window_start,
    batch_size,
    columns_to_announce,
    new_article_announcement,
    new_article_emails_send,
    new_column_announce,
    unannounced_articles,
)
from members.renewal_reminders import SendOutcome, reminders_to_enqueue, renewal_reminder_send, renewal_reminders_create

logger = logging.getLogger(__name__)

# After the batch tasks, one retry task looks again at the article: rows of a worker that died
# mid-batch are released STALE_CLAIM after their claim, and this task sends them.
SWEEP_AFTER = STALE_CLAIM + timedelta(minutes=5)


def defer(deferred: Task, *, run_after: datetime, **kwargs) -> bool:
    """Enqueue `deferred` to run at `run_after`; False if the backend cannot wait."""
    if not deferred.get_backend().supports_defer:
        return False
    deferred.using(run_after=run_after).enqueue(**kwargs)
    return True


# Publishing


def new_article_announce_on_commit(*, article: Article) -> None:
    """After an article is saved: if it is or will become announceable, enqueue its announcement
    once the transaction commits, to run now or at its published_at. The cheap checks come first;
    most saves stop there, and the task checks everything again when it runs."""
    if article.import_ref or article.status != Article.Status.PUBLISHED:
        return
    if article.published_at < announcement_window_start():
        return
    scheduled_for = article.published_at if article.published_at > timezone.now() else None
    # robust: the page that saved the article must not fail because the queue did; the command
    # announces what was missed.
    transaction.on_commit(partial(enqueue_announcement, article_id=article.pk, scheduled_for=scheduled_for), robust=True)


def new_column_announce_on_commit(*, column: Column) -> None:
    """After a column is saved published: its articles that became visible with it (a draft column
    published) are announced together, after commit, as one digest per reader."""
    if column.status == Column.Status.PUBLISHED:
        transaction.on_commit(partial(enqueue_column_announcement, column_id=column.pk), robust=True)


def enqueue_column_announcement(*, column_id: int) -> None:
    # Most saves of a published column have nothing to announce, and then enqueue nothing.
    if unannounced_articles().filter(column_id=column_id).exists():
        new_column_announce_task.enqueue(column_id=column_id)


def enqueue_announcement(*, article_id: int, scheduled_for: datetime | None) -> None:
    if scheduled_for is None:
        new_article_announce_task.enqueue(article_id=article_id)
    elif not defer(new_article_announce_task, run_after=scheduled_for, article_id=article_id):
        logger.info("Article %s is scheduled and the task backend cannot defer: send_new_article_emails announces it", article_id)


# The tasks


@task()
def new_article_announce_task(*, article_id: int) -> int:
    """Announce the article if it still should be now (published, visible, not moved later), with
    any other article of its column nobody announced yet (then as a digest), and enqueue one batch
    task per settings.NEW_ARTICLE_EMAIL_BATCH recipients, and the sweep. Returns how many were
    queued: 0 for every task after the first for the same article."""
    announced = new_article_announcement(article_id=article_id)
    enqueue_sending(article_id=announced.article_id, queued=announced.recipients)
    return announced.recipients


@task()
def new_column_announce_task(*, column_id: int) -> int:
    """Announce the column's unannounced visible articles together (one email per reader, a digest
    when there are several) and enqueue their sending as for one article. Returns how many were
    queued: 0 when another task or the articles' own announced them first."""
    announced = new_column_announce(column_id=column_id)
    enqueue_sending(article_id=announced.article_id, queued=announced.recipients)
    return announced.recipients


def enqueue_sending(*, article_id: int | None, queued: int) -> None:
    """One batch task per settings.NEW_ARTICLE_EMAIL_BATCH emails queued about the article, and the sweep."""
    if queued:
        for _ in range(math.ceil(queued / batch_size())):
            new_article_emails_batch_task.enqueue(article_id=article_id)
        defer(new_article_emails_retry_task, run_after=timezone.now() + SWEEP_AFTER, article_id=article_id)


@task()
def new_article_emails_batch_task(*, article_id: int) -> dict[str, int]:
    """Send one batch of the article's first emails over one connection. Pending rows only: the
    announce task enqueued one of these per batch, so together they cover every recipient, and
    one task is never long."""
    report = new_article_emails_send(article_id=article_id, limit=batch_size(), retry=Retry.NO)
    enqueue_retry(report, article_id=article_id)
    return report.counts()


@task()
def new_article_emails_retry_task(*, article_id: int | None = None, at_once: bool = False) -> dict[str, int]:
    """Send what is due, of one article or all: pending rows and failed ones whose wait is over
    (every failed one with `at_once`, an editor's "retry now" in admin), in batches over one
    connection; what fails again gets the next retry task."""
    report = new_article_emails_send(article_id=article_id, retry=Retry.NOW if at_once else Retry.WHEN_DUE)
    enqueue_retry(report, article_id=article_id)
    return report.counts()


def enqueue_retry(report: SendReport, *, article_id: int | None) -> None:
    """One retry task per run with failures, when all of them are due: it sends every row due then,
    so no failed row is left without a task coming for it."""
    if report.retry_after is None:
        return
    if not defer(new_article_emails_retry_task, run_after=report.retry_after, article_id=article_id):
        logger.warning("%s new-article emails failed and the task backend cannot defer: send_new_article_emails retries them", report.failed)


# By hand


def new_article_emails_run() -> tuple[int, SendReport]:
    """What the command does: announce what is visible and was missed (each column's together),
    send everything queued and retry every failed row at once, and leave what fails again to a
    retry task."""
    announced = 0
    for column_id in list(columns_to_announce()):
        announced += new_column_announce(column_id=column_id).recipients
    report = new_article_emails_send(retry=Retry.NOW)
    enqueue_retry(report, article_id=None)
    return announced, report


# Renewal reminders


@task()
def renewal_reminder_send_task(*, reminder_id: int) -> str:
    """Send one renewal reminder, unless another task has it or it is no longer due; a failure
    enqueues this task again for when its wait is over. Returns the row's status."""
    outcome = renewal_reminder_send(reminder_id=reminder_id)
    enqueue_reminder_retry(outcome, reminder_id=reminder_id)
    return outcome.status


def enqueue_reminder_retry(outcome: SendOutcome, *, reminder_id: int) -> None:
    if outcome.retry_after is None:
        return
    if not defer(renewal_reminder_send_task, run_after=outcome.retry_after, reminder_id=reminder_id):
        logger.warning("Renewal reminder %s failed and the task backend cannot defer: the next send_renewal_reminders retries it", reminder_id)


def renewal_reminders_run() -> tuple[int, int]:
    """What the hourly command does: record every reminder due now, then enqueue one task per
    reminder to send (the new ones, and those whose task did not send them). Returns how many
    were due and how many tasks were enqueued."""
    started = timezone.now()
    due = renewal_reminders_create(now=started)
    reminder_ids = reminders_to_enqueue(recorded_since=started, now=started)
    for reminder_id in reminder_ids:
        renewal_reminder_send_task.enqueue(reminder_id=reminder_id)
    return due, len(reminder_ids)
