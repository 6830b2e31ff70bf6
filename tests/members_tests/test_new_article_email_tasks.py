"""New-article emails on the production task backend: publishing only enqueues, the worker sends;
a scheduled article waits for its time and is checked again then; failures come back later;
however many tasks an article gets, each reader hears of it once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles.models import Article
from members.models import NewArticleAnnouncement, NewArticleEmail
from members.notifications import MAX_ATTEMPTS, RETRY_DELAYS
from members.tasks import new_article_announce_task, new_article_emails_batch_task, new_article_emails_retry_task
from tests.factories import PAID_PARAGRAPHS, make_article, make_membership, make_user
from tests.helpers import FlakyEmailBackend, run_queued_tasks

pytestmark = pytest.mark.django_db

SECRET = PAID_PARAGRAPHS[0]


@pytest.fixture(autouse=True)
def flaky_backend(settings, database_tasks):
    settings.EMAIL_BACKEND = "tests.helpers.FlakyEmailBackend"
    FlakyEmailBackend.reset()


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock the site and the worker read (timezone.now) to a moment, as waiting would."""

    def travel_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return travel_to


@pytest.fixture
def member(column):
    user = make_user(email="member@example.com")
    make_membership(user, column)
    return user


def save(article, capture, **changes):
    """Save as the admin does: the transaction commits, so its on-commit hooks run."""
    with capture(execute=True):
        for name, value in changes.items():
            setattr(article, name, value)
        article.save()
    return article


def publish(column, capture, **fields):
    with capture(execute=True):
        return make_article(column, title="新文章", published_at=fields.pop("published_at", timezone.now()), **fields)


def waiting(task) -> list[DBTaskResult]:
    """Tasks of this kind not run yet, soonest first (run_after is the far future when not deferred)."""
    return list(DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).order_by("run_after"))


def recipients() -> list[str]:
    return [address for message in mail.outbox for address in message.to]


def test_publishing_only_queues_a_task_and_the_worker_sends(member, column, django_capture_on_commit_callbacks):
    article = publish(column, django_capture_on_commit_callbacks)
    [announce] = waiting(new_article_announce_task)
    assert announce.args_kwargs["kwargs"] == {"article_id": article.pk}
    assert not mail.outbox and not NewArticleEmail.objects.exists()
    run_queued_tasks()
    assert recipients() == ["member@example.com"] and SECRET in mail.outbox[0].body


def test_each_batch_is_its_own_task_over_one_connection(column, settings, django_capture_on_commit_callbacks):
    settings.NEW_ARTICLE_EMAIL_BATCH = 2
    for n in range(5):
        make_membership(make_user(email=f"m{n}@example.com"), column)
    publish(column, django_capture_on_commit_callbacks)
    run_queued_tasks(limit=1)
    assert len(waiting(new_article_emails_batch_task)) == 3 and not mail.outbox
    run_queued_tasks()
    assert sorted(recipients()) == [f"m{n}@example.com" for n in range(5)]
    assert FlakyEmailBackend.opened == 3


def test_a_scheduled_article_waits_for_its_time(member, column, clock, django_capture_on_commit_callbacks):
    due = timezone.now() + timedelta(hours=2)
    publish(column, django_capture_on_commit_callbacks, published_at=due)
    [announce] = waiting(new_article_announce_task)
    assert announce.run_after == due
    assert run_queued_tasks() == 0 and not mail.outbox
    clock(due + timedelta(seconds=1))
    run_queued_tasks()
    assert recipients() == ["member@example.com"]


def test_a_scheduled_article_unpublished_meanwhile_sends_nothing(member, column, clock, django_capture_on_commit_callbacks):
    due = timezone.now() + timedelta(hours=2)
    article = publish(column, django_capture_on_commit_callbacks, published_at=due)
    save(article, django_capture_on_commit_callbacks, status=Article.Status.DRAFT)
    clock(due + timedelta(seconds=1))
    assert run_queued_tasks() == 1
    assert not mail.outbox and not NewArticleAnnouncement.objects.exists()


def test_a_rescheduled_article_goes_out_at_its_new_time_only(member, column, clock, django_capture_on_commit_callbacks):
    first, moved = timezone.now() + timedelta(hours=2), timezone.now() + timedelta(hours=4)
    article = publish(column, django_capture_on_commit_callbacks, published_at=first)
    save(article, django_capture_on_commit_callbacks, published_at=moved)
    assert [task.run_after for task in waiting(new_article_announce_task)] == [first, moved]
    clock(first + timedelta(seconds=1))
    run_queued_tasks()
    assert not mail.outbox
    clock(moved + timedelta(seconds=1))
    run_queued_tasks()
    assert recipients() == ["member@example.com"]


def test_many_saves_and_tasks_for_one_article_email_each_reader_once(member, column, django_capture_on_commit_callbacks):
    article = publish(column, django_capture_on_commit_callbacks)
    save(article, django_capture_on_commit_callbacks, title="改过的标题")
    save(article, django_capture_on_commit_callbacks, title="又改了")
    new_article_announce_task.enqueue(article_id=article.pk)
    assert len(waiting(new_article_announce_task)) == 4
    run_queued_tasks()
    new_article_emails_batch_task.enqueue(article_id=article.pk)
    run_queued_tasks()
    assert recipients() == ["member@example.com"]
    assert NewArticleAnnouncement.objects.get().recipients == 1


def test_a_failed_send_is_retried_later_and_sent_once(column, clock, django_capture_on_commit_callbacks):
    make_membership(make_user(email="ok@example.com"), column)
    make_membership(make_user(email="bounce@example.com"), column)
    FlakyEmailBackend.refused = {"bounce@example.com"}
    publish(column, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert recipients() == ["ok@example.com"]
    failed = NewArticleEmail.objects.get(user__email="bounce@example.com")
    assert failed.status == NewArticleEmail.Status.FAILED and failed.attempts == 1
    [retry, sweep] = waiting(new_article_emails_retry_task)
    assert retry.run_after == failed.updated_at + RETRY_DELAYS[0]
    assert run_queued_tasks() == 0  # not before its time
    FlakyEmailBackend.refused = set()
    clock(retry.run_after)
    run_queued_tasks()
    assert recipients() == ["ok@example.com", "bounce@example.com"]
    clock(sweep.run_after)
    run_queued_tasks()
    call_command("send_new_article_emails", stdout=StringIO())
    assert recipients() == ["ok@example.com", "bounce@example.com"]
    assert not waiting(new_article_emails_retry_task)


def test_a_send_that_keeps_failing_waits_longer_each_time_then_is_given_up(member, column, clock, django_capture_on_commit_callbacks):
    FlakyEmailBackend.refused = {"member@example.com"}
    publish(column, django_capture_on_commit_callbacks)
    run_queued_tasks()
    [_, sweep] = waiting(new_article_emails_retry_task)
    waits = []
    while retries := [task for task in waiting(new_article_emails_retry_task) if task.pk != sweep.pk]:
        [retry] = retries
        waits.append(retry.run_after - NewArticleEmail.objects.get().updated_at)
        clock(retry.run_after)
        run_queued_tasks()
    row = NewArticleEmail.objects.get()
    assert waits == list(RETRY_DELAYS)
    assert row.status == NewArticleEmail.Status.ABANDONED and row.attempts == MAX_ATTEMPTS
    assert not mail.outbox


def test_a_mail_server_that_is_down_costs_an_attempt_and_is_retried(member, column, clock, django_capture_on_commit_callbacks):
    FlakyEmailBackend.server_down = True
    publish(column, django_capture_on_commit_callbacks)
    run_queued_tasks()
    row = NewArticleEmail.objects.get()
    assert row.status == NewArticleEmail.Status.FAILED and row.attempts == 1 and "111" in row.last_error
    FlakyEmailBackend.server_down = False
    clock(row.updated_at + RETRY_DELAYS[0])
    run_queued_tasks()
    assert recipients() == ["member@example.com"]


def test_emails_of_a_worker_that_died_mid_batch_are_sent_by_the_later_sweep(member, column, clock, django_capture_on_commit_callbacks):
    publish(column, django_capture_on_commit_callbacks)
    run_queued_tasks(limit=1)  # the announcement; then the worker dies holding the batch
    [batch] = waiting(new_article_emails_batch_task)
    batch.claim("dead-worker")
    NewArticleEmail.objects.update(status=NewArticleEmail.Status.SENDING, updated_at=timezone.now())
    [sweep] = waiting(new_article_emails_retry_task)
    clock(sweep.run_after - timedelta(minutes=10))
    run_queued_tasks()
    assert not mail.outbox
    clock(sweep.run_after)
    run_queued_tasks()
    assert recipients() == ["member@example.com"]


def test_imported_and_back_dated_articles_queue_nothing(member, column, settings, django_capture_on_commit_callbacks):
    settings.NEW_ARTICLE_EMAIL_DAYS = 2
    publish(column, django_capture_on_commit_callbacks, import_ref="xiaobot:123")
    publish(column, django_capture_on_commit_callbacks, published_at=timezone.now() - timedelta(days=3))
    assert not DBTaskResult.objects.exists()


def test_a_retry_task_leaves_emails_whose_wait_is_not_over(member, column, django_capture_on_commit_callbacks):
    FlakyEmailBackend.refused = {"member@example.com"}
    article = publish(column, django_capture_on_commit_callbacks)
    run_queued_tasks()
    FlakyEmailBackend.refused = set()
    new_article_emails_retry_task.enqueue(article_id=article.pk)  # another run's retry, come early
    run_queued_tasks()
    assert not mail.outbox and NewArticleEmail.objects.get().attempts == 1
