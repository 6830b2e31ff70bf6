"""When comment emails go out, on the task backend (settings.TASKS; with the database backend a
`db_worker` runs them, and nothing is sent inside the request).

A posted reply queues its email and enqueues its task after commit. Every posted comment also makes
sure a digest run is waiting for the next full hour: one deferred task per hour, however many
comments (the shared cache remembers it was enqueued), and a run records and sends the digests due
then. The `send_comment_digests` command does the same by hand or from a timer, and retries what
their tasks did not send; it is needed where the backend cannot defer (the "immediate" one).
"""

import logging
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from articles.comments.emails import SendOutcome, comment_email_send, digests_create, emails_to_enqueue, reply_email_queue
from articles.models import Comment

logger = logging.getLogger(__name__)

DIGEST_SCHEDULED_KEY = "comments:digest-run:{hour}"


def defer(deferred: Task, *, run_after: datetime, **kwargs) -> bool:
    """Enqueue `deferred` to run at `run_after`; False if the backend cannot wait."""
    if not deferred.get_backend().supports_defer:
        return False
    deferred.using(run_after=run_after).enqueue(**kwargs)
    return True


def next_full_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def comment_posted(*, comment_id: int) -> None:
    """After a comment commits: its reply email, and a digest run at the next full hour."""
    comment = Comment.objects.select_related("parent__user").filter(pk=comment_id).first()
    if comment is None:
        return
    email = reply_email_queue(reply=comment)
    if email is not None:
        comment_email_send_task.enqueue(email_id=email.pk)
    digest_run_schedule(now=timezone.now())


def digest_run_schedule(*, now: datetime) -> None:
    run_at = next_full_hour(now)
    if cache.add(DIGEST_SCHEDULED_KEY.format(hour=run_at.isoformat()), True, timeout=2 * 3600):
        if not defer(comment_digests_task, run_after=run_at):
            logger.info("The task backend cannot defer: send_comment_digests sends the comment digests")


@task()
def comment_email_send_task(*, email_id: int) -> str:
    """Send one comment email; a failure enqueues this task again for when its wait is over."""
    outcome = comment_email_send(email_id=email_id)
    enqueue_retry(outcome, email_id=email_id)
    return outcome.status


def enqueue_retry(outcome: SendOutcome, *, email_id: int) -> None:
    if outcome.retry_after is not None and not defer(comment_email_send_task, run_after=outcome.retry_after, email_id=email_id):
        logger.warning("Comment email %s failed and the task backend cannot defer: send_comment_digests retries it", email_id)


@task()
def comment_digests_task() -> int:
    return len(comment_digests_run(retry=False))


def comment_digests_run(*, retry: bool = True) -> list[int]:
    """Record the digests due now and enqueue their emails, and with `retry` also every email
    their task did not send. Returns the ids enqueued."""
    now = timezone.now()
    ids = digests_create(now=now)
    if retry:
        ids = sorted(set(ids) | set(emails_to_enqueue(now=now)))
    for email_id in ids:
        comment_email_send_task.enqueue(email_id=email_id)
    return ids
