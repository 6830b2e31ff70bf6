"""New-article emails: each active member with the setting on hears about each new article once,
in full if they may read it; imports and back-dated articles mail nobody; failures are retried;
the one-click unsubscribe works without logging in."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from articles.importers.service import ImportOptions, Upload, import_uploads
from articles.models import Article, Column
from members.models import Membership, NewArticleAnnouncement, NewArticleEmail
from members.notifications import MAX_ATTEMPTS, new_article_announce, new_article_emails_send, unsubscribe_token
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_editor, make_membership, make_user
from tests.helpers import FlakyEmailBackend

pytestmark = pytest.mark.django_db

SECRET = PAID_PARAGRAPHS[0]


@pytest.fixture(autouse=True)
def counting_backend(settings):
    settings.EMAIL_BACKEND = "tests.helpers.FlakyEmailBackend"
    FlakyEmailBackend.reset()


@pytest.fixture
def member(column):
    user = make_user(email="member@example.com")
    make_membership(user, column)
    return user


def publish(column, capture, **fields):
    with capture(execute=True):
        return make_article(column, title=fields.pop("title", "新文章"), published_at=fields.pop("published_at", timezone.now()), **fields)


def all_text(message) -> str:
    return message.subject + message.body + "".join(content for content, _type in message.alternatives)


def test_publishing_emails_members_the_full_text(member, column, django_capture_on_commit_callbacks):
    article = publish(column, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["member@example.com"]
    assert "新文章" in message.subject and column.title in message.subject
    assert SECRET in message.body  # the text part
    html, content_type = message.alternatives[0]
    assert content_type == "text/html" and SECRET in html
    article_url = f"{django_settings.SITE_URL.rstrip('/')}{article.get_absolute_url()}"
    assert article_url in message.body and article_url in html


def test_each_email_has_a_one_click_unsubscribe(member, column, django_capture_on_commit_callbacks):
    publish(column, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    membership = Membership.objects.get(user=member, column=column)
    url = f"{django_settings.SITE_URL.rstrip('/')}{reverse('members:unsubscribe', kwargs={'token': unsubscribe_token(membership)})}"
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body


def test_non_members_expired_members_and_those_who_opted_out_get_nothing(column, django_capture_on_commit_callbacks):
    make_user(email="stranger@example.com")
    make_membership(make_user(email="expired@example.com"), column, expired=True)
    quiet = make_membership(make_user(email="quiet@example.com"), column)
    Membership.objects.filter(pk=quiet.pk).update(email_new_articles=False)
    other_column_member = make_user(email="elsewhere@example.com")
    make_membership(other_column_member, make_column())
    make_membership(make_user(email="member@example.com"), column)
    publish(column, django_capture_on_commit_callbacks)
    assert [message.to for message in mail.outbox] == [["member@example.com"]]


def test_a_membership_that_ends_before_sending_gets_nothing(member, column):
    article = make_article(column, published_at=timezone.now())
    new_article_announce(article_id=article.pk)
    Membership.objects.filter(user=member).update(expires_at=timezone.now() - timedelta(seconds=1))
    report = new_article_emails_send()
    assert report.skipped == 1 and not mail.outbox
    assert NewArticleEmail.objects.get().status == NewArticleEmail.Status.SKIPPED


def test_the_paid_text_reaches_only_readers_allowed_to_read_it(column, django_capture_on_commit_callbacks):
    make_membership(make_user(email="member@example.com"), column)
    for email in ["stranger@example.com", "expired@example.com"]:
        make_user(email=email)
    make_membership(make_user(email="gone@example.com"), column, expired=True)
    publish(column, django_capture_on_commit_callbacks)
    for message in mail.outbox:
        if message.to != ["member@example.com"]:
            assert SECRET not in all_text(message)
    assert len(mail.outbox) == 1


def test_exactly_once_per_article_and_reader(member, column, django_capture_on_commit_callbacks):
    article = publish(column, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        article.title = "改过的标题"
        article.save()
    call_command("send_new_article_emails", stdout=StringIO())
    assert new_article_announce(article_id=article.pk) == 0
    assert len(mail.outbox) == 1
    with pytest.raises(IntegrityError):
        NewArticleEmail.objects.create(article=article, user=member)


def test_drafts_send_nothing_until_published(member, column, django_capture_on_commit_callbacks):
    article = publish(column, django_capture_on_commit_callbacks, status=Article.Status.DRAFT)
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        article.status = Article.Status.PUBLISHED
        article.save()
    assert len(mail.outbox) == 1


def test_a_scheduled_article_is_sent_by_the_command_when_its_time_comes(member, column, django_capture_on_commit_callbacks):
    article = publish(column, django_capture_on_commit_callbacks, published_at=timezone.now() + timedelta(hours=2))
    call_command("send_new_article_emails", stdout=StringIO())
    assert not mail.outbox
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    call_command("send_new_article_emails", stdout=StringIO())
    assert len(mail.outbox) == 1 and SECRET in mail.outbox[0].body


def test_an_unpublished_column_announces_nothing(member, column, django_capture_on_commit_callbacks):
    Column.objects.filter(pk=column.pk).update(status=Column.Status.DRAFT)
    column.refresh_from_db()
    publish(column, django_capture_on_commit_callbacks)
    call_command("send_new_article_emails", stdout=StringIO())
    assert not mail.outbox


def test_back_dated_articles_are_never_announced(member, column, django_capture_on_commit_callbacks, settings):
    settings.NEW_ARTICLE_EMAIL_DAYS = 2
    publish(column, django_capture_on_commit_callbacks, published_at=timezone.now() - timedelta(days=3))
    call_command("send_new_article_emails", stdout=StringIO())
    assert not mail.outbox and not NewArticleAnnouncement.objects.exists()


def test_articles_with_an_import_reference_are_never_announced(member, column, django_capture_on_commit_callbacks):
    publish(column, django_capture_on_commit_callbacks, import_ref="xiaobot:123")
    call_command("send_new_article_emails", stdout=StringIO())
    assert not mail.outbox


def test_importing_documents_into_a_members_column_mails_nobody(member, column, django_capture_on_commit_callbacks):
    seeds = Path(django_settings.BASE_DIR) / "fixtures" / "seeds"
    book = seeds / "004_6da403e4822e7372.txt"
    with django_capture_on_commit_callbacks(execute=True):
        import_uploads(uploads=[Upload(book.name, book.read_bytes())], options=ImportOptions(column_slug=column.slug), dry_run=False)
    imported = Article.objects.filter(column=column)
    assert imported.exists()
    Article.objects.filter(column=column).update(published_at=timezone.now())  # even when dated today
    call_command("send_new_article_emails", stdout=StringIO())
    assert not mail.outbox


def test_emails_go_in_batches_over_one_connection(column, settings):
    settings.NEW_ARTICLE_EMAIL_BATCH = 2
    for n in range(5):
        make_membership(make_user(email=f"m{n}@example.com"), column)
    article = make_article(column, published_at=timezone.now())
    assert new_article_announce(article_id=article.pk) == 5
    report = new_article_emails_send()
    assert report.sent == 5 and len(mail.outbox) == 5
    assert FlakyEmailBackend.opened == 1


def test_nothing_to_send_opens_no_connection():
    new_article_emails_send()
    assert FlakyEmailBackend.opened == 0


def test_a_failed_send_is_logged_and_retried_by_the_command(column, caplog):
    make_membership(make_user(email="ok@example.com"), column)
    make_membership(make_user(email="bounce@example.com"), column)
    article = make_article(column, published_at=timezone.now())
    FlakyEmailBackend.refused = {"bounce@example.com"}
    call_command("send_new_article_emails", stdout=StringIO(), stderr=StringIO())
    assert [message.to for message in mail.outbox] == [["ok@example.com"]]
    failed = NewArticleEmail.objects.get(user__email="bounce@example.com")
    assert failed.status == NewArticleEmail.Status.FAILED and failed.attempts == 1 and "550" in failed.last_error
    assert "bounce@example.com" in caplog.text
    FlakyEmailBackend.refused = set()
    call_command("send_new_article_emails", stdout=StringIO())
    assert [message.to for message in mail.outbox] == [["ok@example.com"], ["bounce@example.com"]]
    assert NewArticleEmail.objects.filter(article=article, status=NewArticleEmail.Status.SENT).count() == 2


def test_a_send_that_keeps_failing_is_given_up(column):
    make_membership(make_user(email="bounce@example.com"), column)
    make_article(column, published_at=timezone.now())
    FlakyEmailBackend.refused = {"bounce@example.com"}
    for _ in range(MAX_ATTEMPTS + 2):
        call_command("send_new_article_emails", stdout=StringIO(), stderr=StringIO())
    row = NewArticleEmail.objects.get()
    assert row.status == NewArticleEmail.Status.ABANDONED and row.attempts == MAX_ATTEMPTS
    assert not mail.outbox


def test_a_run_that_died_mid_send_is_picked_up_later(member, column):
    article = make_article(column, published_at=timezone.now())
    new_article_announce(article_id=article.pk)
    NewArticleEmail.objects.update(status=NewArticleEmail.Status.SENDING, updated_at=timezone.now() - timedelta(hours=1))
    new_article_emails_send()
    assert len(mail.outbox) == 1


def test_an_editor_who_is_not_a_member_is_not_mailed(column, django_capture_on_commit_callbacks):
    make_editor(email="editor@example.com")
    publish(column, django_capture_on_commit_callbacks)
    assert not mail.outbox


# Turning them off and on


def test_my_columns_turns_the_emails_off_and_on(client, member, column, django_capture_on_commit_callbacks):
    client.force_login(member)
    url = reverse("members:email-preference", kwargs={"slug": column.slug})
    client.post(url, {"email_new_articles": "off"})
    assert Membership.objects.get(user=member).email_new_articles is False
    publish(column, django_capture_on_commit_callbacks)
    assert not mail.outbox
    client.post(url, {"email_new_articles": "on"})
    assert Membership.objects.get(user=member).email_new_articles is True
    publish(column, django_capture_on_commit_callbacks, title="第二篇")
    assert len(mail.outbox) == 1


def test_a_bad_email_choice_changes_nothing(client, member, column):
    client.force_login(member)
    response = client.post(reverse("members:email-preference", kwargs={"slug": column.slug}), {"email_new_articles": "maybe"})
    assert response.status_code == 302
    assert Membership.objects.get(user=member).email_new_articles is True


def test_someone_elses_column_setting_is_404(client, column):
    client.force_login(make_user())
    assert client.post(reverse("members:email-preference", kwargs={"slug": column.slug}), {"email_new_articles": "off"}).status_code == 404


def test_one_click_unsubscribe_without_login_or_csrf(member, column):
    from django.test import Client

    browserless = Client(enforce_csrf_checks=True)
    membership = Membership.objects.get(user=member)
    url = reverse("members:unsubscribe", kwargs={"token": unsubscribe_token(membership)})
    page = browserless.get(url)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert Membership.objects.get(pk=membership.pk).email_new_articles is True  # a link scanner's GET changes nothing
    response = browserless.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Membership.objects.get(pk=membership.pk).email_new_articles is False
    browserless.post(url, {"action": "resubscribe"})
    assert Membership.objects.get(pk=membership.pk).email_new_articles is True


def test_a_tampered_unsubscribe_link_is_refused(client, member, column):
    membership = Membership.objects.get(user=member)
    token = unsubscribe_token(membership)
    other = make_membership(make_user(), make_column())
    forged = token.replace(f"{membership.pk}-", f"{other.pk}-", 1)
    assert client.post(reverse("members:unsubscribe", kwargs={"token": forged}), {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert Membership.objects.get(pk=other.pk).email_new_articles is True
