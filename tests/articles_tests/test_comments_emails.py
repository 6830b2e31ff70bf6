"""Comment emails: a reply tells the writer of the comment it answers, authors get an hourly
digest, both can be switched off (in settings or with one click), and a failure is retried."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.comments.emails import unsubscribe_url
from articles.comments.services import comment_post
from articles.comments.tasks import comment_digests_run
from articles.models import CommentEmail
from tests.factories import make_article, make_author, make_column, make_membership, make_user
from tests.helpers import FlakyEmailBackend, run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def author_user():
    return make_user(email="author@example.com")


@pytest.fixture
def paid(author_user):
    column = make_column(title="邮件专栏", authors=[make_author(display_name="作者", user=author_user)])
    return make_article(column, title="有评论的文章")


def member_of(column, **fields):
    user = make_user(**fields)
    make_membership(user, column, days=30)
    return user


def to(address):
    return [message for message in mail.outbox if address in message.to]


def test_a_reply_emails_the_writer_once_after_commit(paid, author_user, django_capture_on_commit_callbacks):
    reader = member_of(paid.column, email="reader@example.com")
    top = comment_post(user=reader, article=paid, body="请问作者")
    with django_capture_on_commit_callbacks(execute=True):
        comment_post(user=author_user, article=paid, body="作者的回答在这里", parent=top)
    [message] = to("reader@example.com")
    assert "作者的回答在这里" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert CommentEmail.objects.get(kind=CommentEmail.Kind.REPLY).status == CommentEmail.Status.SENT


def test_replying_to_oneself_sends_nothing(paid, django_capture_on_commit_callbacks):
    reader = member_of(paid.column, email="self@example.com")
    top = comment_post(user=reader, article=paid, body="自问")
    with django_capture_on_commit_callbacks(execute=True):
        comment_post(user=reader, article=paid, body="自答", parent=top)
    assert to("self@example.com") == []


def test_a_reader_whose_membership_ended_is_not_sent_the_paid_reply(paid, author_user, django_capture_on_commit_callbacks):
    reader = member_of(paid.column, email="gone@example.com")
    top = comment_post(user=reader, article=paid, body="我的问题")
    reader.memberships.update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        comment_post(user=author_user, article=paid, body="会员才能看的回答", parent=top)
    assert to("gone@example.com") == []
    assert CommentEmail.objects.get().status == CommentEmail.Status.SKIPPED


def test_reply_emails_can_be_switched_off_with_one_click(paid, author_user, django_capture_on_commit_callbacks):
    reader = member_of(paid.column, email="quiet@example.com")
    link = unsubscribe_url(reader, CommentEmail.Kind.REPLY)
    path = link[link.index("/comments/") :]
    assert Client().get(path).status_code == 200  # a link scanner's GET changes nothing
    top = comment_post(user=reader, article=paid, body="一")
    with django_capture_on_commit_callbacks(execute=True):
        comment_post(user=author_user, article=paid, body="二", parent=top)
    assert len(to("quiet@example.com")) == 1
    assert Client().post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    top = comment_post(user=reader, article=paid, body="三")
    with django_capture_on_commit_callbacks(execute=True):
        comment_post(user=author_user, article=paid, body="四", parent=top)
    assert len(to("quiet@example.com")) == 1
    assert Client().get(path[:-3] + "xx/").status_code == 404


def test_the_author_gets_one_digest_of_new_comments(paid, author_user):
    readers = [member_of(paid.column) for _ in range(3)]
    for n, reader in enumerate(readers):
        comment_post(user=reader, article=paid, body=f"读者评论{n}")
    comment_post(user=author_user, article=paid, body="作者自己的")
    comment_digests_run()
    [digest] = to("author@example.com")
    assert all(f"读者评论{n}" in digest.body for n in range(3))
    assert "作者自己的" not in digest.body
    comment_digests_run()  # within the hour: nothing new is sent
    assert len(to("author@example.com")) == 1


def test_digests_can_be_switched_off_in_settings(paid, author_user):
    client = Client()
    client.force_login(author_user)
    assert client.post(reverse("articles:comment-email-settings"), {"email_replies": "on"}).status_code == 302
    comment_post(user=member_of(paid.column), article=paid, body="没人通知")
    comment_digests_run()
    assert to("author@example.com") == []


def test_a_failed_email_is_retried_later(paid, author_user, settings, database_tasks, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.helpers.FlakyEmailBackend"
    FlakyEmailBackend.reset()
    FlakyEmailBackend.refused = {"flaky@example.com"}
    try:
        reader = member_of(paid.column, email="flaky@example.com")
        top = comment_post(user=reader, article=paid, body="问")
        with django_capture_on_commit_callbacks(execute=True):
            comment_post(user=author_user, article=paid, body="答", parent=top)
        run_queued_tasks()
        email = CommentEmail.objects.get(kind=CommentEmail.Kind.REPLY)
        assert (email.status, email.attempts) == (CommentEmail.Status.FAILED, 1)
        FlakyEmailBackend.refused = set()
        CommentEmail.objects.filter(pk=email.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
        comment_digests_run()
        run_queued_tasks()
        email.refresh_from_db()
        assert email.status == CommentEmail.Status.SENT
        assert len(to("flaky@example.com")) == 1
    finally:
        FlakyEmailBackend.reset()
