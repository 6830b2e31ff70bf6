"""Publishing a draft column with several recent articles emails each member once, a digest naming
them all (titles, free previews, links; no paid text for anyone); one article keeps its own email."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles.models import Article, Column
from members.models import NewArticleAnnouncement, NewArticleEmail
from members.tasks import new_column_announce_task
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_user
from tests.helpers import FlakyEmailBackend, run_queued_tasks

pytestmark = pytest.mark.django_db

TITLES = ["第一篇", "第二篇", "第三篇"]
PREVIEW = "免费段落：任何人都能读到这一句开场白。"


@pytest.fixture(autouse=True)
def counting_backend(settings):
    settings.EMAIL_BACKEND = "tests.helpers.FlakyEmailBackend"
    FlakyEmailBackend.reset()


@pytest.fixture
def draft_column():
    column = make_column(title="草稿专栏", status=Column.Status.DRAFT)
    for user in (make_user(email="one@example.com"), make_user(email="two@example.com")):
        make_membership(user, column)
    return column


def write(column, capture, titles=TITLES, **fields):
    """Articles saved (and their own tasks run) while the column is still a draft: nothing is sent."""
    with capture(execute=True):
        return [make_article(column, title=title, published_at=timezone.now() - timedelta(hours=len(titles) - n), **fields) for n, title in enumerate(titles)]


def publish(column, capture):
    with capture(execute=True):
        column.status = Column.Status.PUBLISHED
        column.save()


def digest_subject(count: int) -> str:
    """The subject new_articles_subject.txt renders, in the site's language."""
    with translation.override(django_settings.LANGUAGE_CODE):
        template = ngettext("%(counter)s new article in «%(column)s»", "%(counter)s new articles in «%(column)s»", count)
    return template % {"counter": count, "column": "草稿专栏"}


def all_text(message) -> str:
    return message.subject + message.body + "".join(content for content, _type in message.alternatives)


def test_publishing_a_draft_column_sends_each_member_one_email_naming_every_recent_article(draft_column, django_capture_on_commit_callbacks):
    write(draft_column, django_capture_on_commit_callbacks)
    old = make_article(draft_column, title="很久以前的一篇", published_at=timezone.now() - timedelta(days=10))
    assert not mail.outbox
    publish(draft_column, django_capture_on_commit_callbacks)
    assert sorted(address for message in mail.outbox for address in message.to) == ["one@example.com", "two@example.com"]
    for message in mail.outbox:
        assert message.subject == digest_subject(3)
        html = message.alternatives[0][0]
        for title in TITLES:
            assert title in message.body and title in html
        assert old.title not in all_text(message)
        assert PREVIEW in message.body and PREVIEW in html
        assert "List-Unsubscribe" in message.extra_headers
    # Every article is announced once, so nothing goes out again however the column is saved or the command runs.
    assert NewArticleAnnouncement.objects.filter(article__title__in=TITLES).count() == 3
    publish(draft_column, django_capture_on_commit_callbacks)
    call_command("send_new_article_emails", stdout=StringIO())
    assert len(mail.outbox) == 2


def test_a_digest_carries_no_paid_text_even_for_members_who_may_read_it(draft_column, django_capture_on_commit_callbacks):
    write(draft_column, django_capture_on_commit_callbacks)
    free = make_article(draft_column, title="免费的一篇", access=Article.Access.FREE)
    publish(draft_column, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert free.title in message.body
        assert not any(paragraph in all_text(message) for paragraph in PAID_PARAGRAPHS)


def test_a_draft_column_published_with_one_article_sends_todays_email(draft_column, django_capture_on_commit_callbacks):
    [article] = write(draft_column, django_capture_on_commit_callbacks, titles=["唯一一篇"])
    publish(draft_column, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "唯一一篇" in message.subject and message.subject != digest_subject(1)
        # The member may read it in full, as in the email each new article gets.
        assert PAID_PARAGRAPHS[0] in message.body
    assert NewArticleEmail.objects.filter(article=article).count() == 2


def test_the_command_announces_a_column_published_without_a_save_as_one_digest(draft_column, django_capture_on_commit_callbacks):
    write(draft_column, django_capture_on_commit_callbacks)
    Column.objects.filter(pk=draft_column.pk).update(status=Column.Status.PUBLISHED)
    call_command("send_new_article_emails", stdout=StringIO())
    assert len(mail.outbox) == 2
    assert all(message.subject == digest_subject(3) for message in mail.outbox)


def test_an_article_unpublished_before_sending_is_left_out_of_the_digest(draft_column, django_capture_on_commit_callbacks, database_tasks):
    articles = write(draft_column, django_capture_on_commit_callbacks)
    publish(draft_column, django_capture_on_commit_callbacks)
    Article.objects.filter(pk=articles[1].pk).update(status=Article.Status.DRAFT)
    run_queued_tasks()
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject == digest_subject(2)
        assert TITLES[0] in message.body and TITLES[2] in message.body and TITLES[1] not in message.body


def test_a_failed_digest_is_retried_as_the_same_digest(draft_column, django_capture_on_commit_callbacks):
    write(draft_column, django_capture_on_commit_callbacks)
    FlakyEmailBackend.refused = {"two@example.com"}
    publish(draft_column, django_capture_on_commit_callbacks)
    assert [message.to for message in mail.outbox] == [["one@example.com"]]
    FlakyEmailBackend.refused = set()
    call_command("send_new_article_emails", stdout=StringIO())
    assert [message.to for message in mail.outbox] == [["one@example.com"], ["two@example.com"]]
    assert mail.outbox[1].subject == digest_subject(3)


def test_saving_a_published_column_with_nothing_new_enqueues_nothing(column, django_capture_on_commit_callbacks, database_tasks):
    with django_capture_on_commit_callbacks(execute=True):
        column.tagline = "新的简介"
        column.save()
    assert not DBTaskResult.objects.filter(task_path=new_column_announce_task.module_path, status=TaskResultStatus.READY).exists()


def test_the_articles_own_tasks_running_after_the_columns_add_no_email(draft_column, django_capture_on_commit_callbacks, database_tasks):
    """Articles saved in a draft column queue their own tasks; a worker may get to them only after
    the column was published, and they must not mail each article on its own."""
    write(draft_column, django_capture_on_commit_callbacks)
    publish(draft_column, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert len(mail.outbox) == 2
    assert all(message.subject == digest_subject(3) for message in mail.outbox)
