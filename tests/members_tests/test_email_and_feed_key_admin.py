"""Admin for new-article emails and private feed keys: read-only lists an editor can filter and
search, "retry now" that hands failed emails to the retry task (not an edit), and a revoke that
switches a leaked feed address off without ever showing its secret."""

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from members.feed_keys import feed_key_issue, feed_key_token, private_feed_path
from members.models import FeedKey, NewArticleAnnouncement, NewArticleEmail
from members.tasks import new_article_emails_retry_task
from tests.factories import make_article, make_editor, make_membership, make_user
from tests.helpers import run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


@pytest.fixture
def member(column):
    user = make_user(email="member@example.com")
    make_membership(user, column)
    return user


@pytest.fixture
def failed_email(member, column):
    article = make_article(column, title="重试的文章")
    NewArticleAnnouncement.objects.create(article=article, recipients=1)
    return NewArticleEmail.objects.create(article=article, user=member, status=NewArticleEmail.Status.FAILED, attempts=1, last_error="421 try later")


def act(client, model_name, action, rows):
    return client.post(
        reverse(f"admin:members_{model_name}_changelist"),
        {"action": action, "_selected_action": [row.pk for row in rows]},
        follow=True,
    )


def test_the_lists_and_pages_load_with_status_error_and_search(editor_client, failed_email):
    emails = editor_client.get(reverse("admin:members_newarticleemail_changelist"), {"q": "member@example.com", "status__exact": "failed"})
    assert emails.status_code == 200
    assert "421 try later" in emails.content.decode() and "重试的文章" in emails.content.decode()
    assert editor_client.get(reverse("admin:members_newarticleemail_changelist"), {"q": "nobody@example.com"}).context["cl"].result_count == 0
    assert editor_client.get(reverse("admin:members_newarticleemail_change", args=[failed_email.pk])).status_code == 200
    announcements = editor_client.get(reverse("admin:members_newarticleannouncement_changelist"), {"q": "重试"})
    assert announcements.context["cl"].result_count == 1


def test_the_lists_are_read_only(editor_client, failed_email):
    response = editor_client.post(reverse("admin:members_newarticleemail_change", args=[failed_email.pk]), {"status": "sent"})
    assert response.status_code == 403
    failed_email.refresh_from_db()
    assert failed_email.status == NewArticleEmail.Status.FAILED
    assert editor_client.get(reverse("admin:members_newarticleemail_add")).status_code == 403


def test_retry_now_queues_the_failed_email_for_the_retry_task_which_sends_it(editor_client, failed_email, database_tasks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    act(editor_client, "newarticleemail", "retry_now", [failed_email])
    # Not edited by the action: the row waits, unchanged, for the task.
    failed_email.refresh_from_db()
    assert (failed_email.status, failed_email.attempts) == (NewArticleEmail.Status.FAILED, 1)
    queued = DBTaskResult.objects.filter(task_path=new_article_emails_retry_task.module_path, status=TaskResultStatus.READY)
    assert [task.args_kwargs["kwargs"] for task in queued] == [{"article_id": failed_email.article_id, "at_once": True}]
    run_queued_tasks()
    failed_email.refresh_from_db()
    assert (failed_email.status, failed_email.attempts) == (NewArticleEmail.Status.SENT, 2)
    assert [message.to for message in mail.outbox] == [["member@example.com"]]


def test_retry_now_leaves_sent_emails_alone(editor_client, failed_email, database_tasks):
    NewArticleEmail.objects.filter(pk=failed_email.pk).update(status=NewArticleEmail.Status.SENT)
    act(editor_client, "newarticleemail", "retry_now", [failed_email])
    assert not DBTaskResult.objects.filter(task_path=new_article_emails_retry_task.module_path).exists()


def test_feed_keys_show_a_prefix_never_the_secret_or_token(editor_client, member, column):
    key = feed_key_issue(user=member, column=column)
    for url in (reverse("admin:members_feedkey_changelist"), reverse("admin:members_feedkey_change", args=[key.pk])):
        html = editor_client.get(url).content.decode()
        assert key.secret[:6] in html
        assert key.secret not in html and feed_key_token(key) not in html
    assert editor_client.get(reverse("admin:members_feedkey_changelist"), {"q": "member@example.com"}).context["cl"].result_count == 1


def test_revoke_switches_the_private_feed_off(editor_client, member, column):
    key = feed_key_issue(user=member, column=column)
    feed = private_feed_path(key)
    assert editor_client.get(feed).status_code == 200
    act(editor_client, "feedkey", "revoke", [key])
    # A revoked address answers 410 Gone (members.feeds), as after the reader's own switch-off.
    assert editor_client.get(feed).status_code == 410
    assert not FeedKey.objects.filter(revoked_at__isnull=True).exists()
    revoked = editor_client.get(reverse("admin:members_feedkey_changelist"), {"revoked_at__isempty": "0"})
    assert revoked.context["cl"].result_count == 1
