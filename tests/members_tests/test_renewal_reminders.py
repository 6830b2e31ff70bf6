"""Renewal reminders: a membership that nothing renews by itself is reminded 7 days and 1 day
before its end and once it has ended, each once per end date; never a lifetime, revoked or
auto-renewing one; the renew link opens the checkout, the unsubscribe link needs no sign-in;
failures are retried; the emails are Chinese and carry no article text."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles.models import Column
from members.models import Membership, Plan, RenewalReminder, Subscription
from members.notifications import MAX_ATTEMPTS, RETRY_DELAYS, unsubscribe_token
from members.services import membership_grant, order_create, order_mark_paid, order_refund
from members.tasks import renewal_reminder_send_task
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_user, paid_body
from tests.helpers import FlakyEmailBackend, run_queued_tasks

pytestmark = pytest.mark.django_db

Kind = RenewalReminder.Kind
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def flaky_backend(settings):
    settings.EMAIL_BACKEND = "tests.helpers.FlakyEmailBackend"
    FlakyEmailBackend.reset()


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock the site, the command and the worker read (timezone.now) to a moment."""

    def travel_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return travel_to


@pytest.fixture
def ends_at():
    return (timezone.now() + timedelta(days=30)).replace(microsecond=0)


@pytest.fixture
def membership(reader, column, ends_at):
    return make_membership(reader, column, ends_at=ends_at)


def remind() -> str:
    out = StringIO()
    call_command("send_renewal_reminders", stdout=out)
    return out.getvalue()


def recipients() -> list[str]:
    return [address for message in mail.outbox for address in message.to]


def all_text(message) -> str:
    return message.subject + message.body + "".join(content for content, _type in message.alternatives)


def link_in(message, path_pattern: str) -> str:
    site = re.escape(django_settings.SITE_URL.rstrip("/"))
    [text_link] = set(re.findall(site + path_pattern, message.body))
    html, _type = message.alternatives[0]
    assert f'href="{text_link}"' in html
    return text_link


def path_of(url: str) -> str:
    return url.removeprefix(django_settings.SITE_URL.rstrip("/"))


def test_reminders_go_7_days_and_1_day_before_the_end_and_on_expiry_and_not_before(membership, ends_at, clock):
    sent_by_moment = {}
    for moment in [
        ends_at - 8 * DAY,
        ends_at - 7 * DAY - HOUR,
        ends_at - 7 * DAY + HOUR,
        ends_at - 3 * DAY,
        ends_at - DAY - HOUR,
        ends_at - DAY + HOUR,
        ends_at - HOUR,
        ends_at + HOUR,
        ends_at + 2 * DAY,
    ]:
        clock(moment)
        remind()
        sent_by_moment[moment - ends_at] = len(mail.outbox)
    assert sent_by_moment == {
        -8 * DAY: 0,
        -7 * DAY - HOUR: 0,
        -7 * DAY + HOUR: 1,
        -3 * DAY: 1,
        -DAY - HOUR: 1,
        -DAY + HOUR: 2,
        -HOUR: 2,
        HOUR: 3,
        2 * DAY: 3,
    }
    assert recipients() == ["buyer@example.com"] * 3
    rows = RenewalReminder.objects.order_by("created_at")
    assert [(row.kind, row.ends_at, row.status) for row in rows] == [
        (Kind.WEEK_BEFORE, ends_at, RenewalReminder.Status.SENT),
        (Kind.DAY_BEFORE, ends_at, RenewalReminder.Status.SENT),
        (Kind.EXPIRED, ends_at, RenewalReminder.Status.SENT),
    ]
    date = timezone.localtime(ends_at).strftime("%Y-%m-%d")
    assert [message.subject for message in mail.outbox] == [
        f"[付费专栏] 你的会员将于 {date} 到期",
        f"[付费专栏] 你的会员将在一天内到期（{timezone.localtime(ends_at):%Y-%m-%d %H:%M}）",
        f"[付费专栏] 你的会员已于 {date} 到期",
    ]


def test_a_membership_first_seen_late_gets_only_the_reminder_due_then(reader, column, clock):
    now = timezone.now()
    make_membership(reader, column, ends_at=now + 3 * DAY)  # the 7-day mark passed unnoticed
    make_membership(make_user(email="late@example.com"), column, ends_at=now - 2 * DAY)  # ended too long ago
    remind()
    assert recipients() == ["buyer@example.com"]
    assert RenewalReminder.objects.get().kind == Kind.WEEK_BEFORE


def test_a_short_membership_is_not_reminded_the_moment_it_begins(reader, column):
    now = timezone.now()
    make_membership(reader, column, starts_at=now, ends_at=now + 5 * DAY)  # a five-day code
    remind()
    assert not mail.outbox


def test_running_the_command_twice_sends_once(membership, ends_at, clock):
    clock(ends_at - 7 * DAY + HOUR)
    assert remind() == "reminders due now: 1; emails enqueued: 1\n"
    assert remind() == "reminders due now: 0; emails enqueued: 0\n"
    assert len(mail.outbox) == 1
    with pytest.raises(IntegrityError):
        RenewalReminder.objects.create(membership=membership, kind=Kind.WEEK_BEFORE, ends_at=ends_at)


def test_two_tasks_for_one_reminder_send_it_once(membership, ends_at, clock, database_tasks):
    clock(ends_at - 7 * DAY + HOUR)
    remind()
    renewal_reminder_send_task.enqueue(reminder_id=RenewalReminder.objects.get().pk)  # a concurrent run's task
    assert run_queued_tasks() == 2
    assert len(mail.outbox) == 1


def test_only_memberships_that_nothing_renews_are_reminded(column):
    now = timezone.now()

    def member(email, *, of=column, user=None, **fields):
        return make_membership(make_user(email=email, **(user or {})), of, ends_at=now + 7 * DAY - HOUR, **fields)

    def subscription(membership, **fields):
        return Subscription.objects.create(
            user=membership.user,
            column=membership.column,
            plan=membership.column.plans.get(),
            provider="stripe",
            provider_subscription_id=f"sub_{membership.pk}",
            **fields,
        )

    member("wechat@example.com")
    member("code@example.com", source=Membership.Source.CODE)
    subscription(member("stopped@example.com"), status=Subscription.Status.ACTIVE, cancel_at_period_end=True)
    subscription(member("ended-subscription@example.com"), status=Subscription.Status.CANCELED)
    subscription(member("renewing@example.com"), status=Subscription.Status.ACTIVE)
    subscription(member("retrying@example.com"), status=Subscription.Status.PAST_DUE)
    lifetime = make_membership(make_user(email="lifetime@example.com"), column)
    assert lifetime.is_lifetime
    revoked = member("refunded@example.com")
    Membership.objects.filter(pk=revoked.pk).update(revoked_at=now)
    member("inactive@example.com", user={"is_active": False})
    member("unverified@example.com", user={"verified": False})
    quiet = member("quiet@example.com")
    Membership.objects.filter(pk=quiet.pk).update(email_renewal_reminders=False)
    member("free@example.com", of=make_column(is_free=True, plans=()))
    member("draft@example.com", of=make_column(status=Column.Status.DRAFT))
    remind()
    assert sorted(recipients()) == ["code@example.com", "ended-subscription@example.com", "stopped@example.com", "wechat@example.com"]


def test_a_renewal_moves_the_end_date_and_the_next_cycle_is_reminded_again(reader, membership, column, ends_at, clock):
    clock(ends_at - DAY + HOUR)
    remind()
    assert len(mail.outbox) == 1
    order = order_create(user=reader, plan=column.plans.get(), provider="sandbox", checkout_token="00000000-0000-4000-8000-000000000001")
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    renewed_until = Membership.objects.get(pk=membership.pk).expires_at
    assert renewed_until == ends_at + timedelta(days=365)
    clock(ends_at + HOUR)
    remind()
    assert len(mail.outbox) == 1  # no "it has ended": it has not
    clock(renewed_until - 7 * DAY + HOUR)
    remind()
    assert len(mail.outbox) == 2
    assert [(row.kind, row.ends_at) for row in RenewalReminder.objects.order_by("created_at")] == [
        (Kind.DAY_BEFORE, ends_at),
        (Kind.WEEK_BEFORE, renewed_until),
    ]


def test_a_reminder_queued_before_a_renewal_or_refund_is_not_sent(reader, membership, column, ends_at, clock, database_tasks):
    other = make_membership(make_user(email="refunded@example.com"), make_column(), ends_at=ends_at)
    clock(ends_at - DAY + HOUR)
    remind()
    membership_grant(user=reader, column=column, source=Membership.Source.CODE, days=365)
    Membership.objects.filter(pk=other.pk).update(revoked_at=timezone.now())
    run_queued_tasks()
    assert not mail.outbox
    assert set(RenewalReminder.objects.values_list("status", flat=True)) == {RenewalReminder.Status.SKIPPED}


def test_a_reminder_sent_after_the_end_by_a_late_worker_does_not_say_it_will_end(membership, ends_at, clock, database_tasks):
    clock(ends_at - HOUR)
    remind()
    clock(ends_at + HOUR)  # the worker was behind
    run_queued_tasks()
    assert not mail.outbox
    remind()
    run_queued_tasks()
    assert [message.subject for message in mail.outbox] == [f"[付费专栏] 你的会员已于 {timezone.localtime(ends_at):%Y-%m-%d} 到期"]
    assert dict(RenewalReminder.objects.values_list("kind", "status")) == {
        Kind.DAY_BEFORE: RenewalReminder.Status.SKIPPED,
        Kind.EXPIRED: RenewalReminder.Status.SENT,
    }


def test_refunding_the_order_ends_the_reminders(reader, column, clock):
    order = order_create(user=reader, plan=column.plans.get(), provider="sandbox", checkout_token="00000000-0000-4000-8000-000000000002")
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    order_refund(order_id=order.pk)
    clock(Membership.objects.get(user=reader).expires_at - DAY + HOUR)
    remind()
    assert not mail.outbox


def test_the_renew_link_opens_the_checkout_of_the_same_plan(client, reader, membership, column, ends_at, clock):
    annual = column.plans.get(kind=Plan.Kind.ANNUAL)
    clock(ends_at - 7 * DAY + HOUR)
    remind()
    renew = link_in(mail.outbox[0], r"/checkout/\d+/")
    assert path_of(renew) == reverse("members:checkout", kwargs={"plan_id": annual.pk})
    client.force_login(reader)
    response = client.get(path_of(renew))
    assert response.status_code == 200
    assert response.context["plan"] == annual


def test_without_an_annual_plan_on_sale_the_renew_link_opens_the_join_page(client, reader, membership, column, ends_at, clock):
    Plan.objects.filter(column=column).update(is_active=False)
    clock(ends_at - 7 * DAY + HOUR)
    remind()
    join = link_in(mail.outbox[0], r"/column/[\w-]+/join/")
    assert path_of(join) == reverse("members:join", kwargs={"slug": column.slug})
    client.force_login(reader)
    assert client.get(path_of(join)).status_code == 200


def test_the_unsubscribe_link_turns_the_reminders_off_without_signing_in(membership, ends_at, clock):
    clock(ends_at - 7 * DAY + HOUR)
    remind()
    message = mail.outbox[0]
    url = link_in(message, r"/unsubscribe/renewal-reminders/[^/\s\"]+/")
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    browserless = Client(enforce_csrf_checks=True)
    page = browserless.get(path_of(url))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert Membership.objects.get(pk=membership.pk).email_renewal_reminders is True  # a link scanner's GET changes nothing
    assert browserless.post(path_of(url), {"List-Unsubscribe": "One-Click"}).status_code == 200
    switched = Membership.objects.get(pk=membership.pk)
    assert switched.email_renewal_reminders is False and switched.email_new_articles is True
    clock(ends_at - DAY + HOUR)
    remind()
    assert len(mail.outbox) == 1


def test_a_new_article_unsubscribe_token_does_not_switch_off_reminders(membership):
    token = unsubscribe_token(membership)
    url = reverse("members:renewal-reminders-unsubscribe", kwargs={"token": token})
    assert Client().post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert Membership.objects.get(pk=membership.pk).email_renewal_reminders is True


def test_my_columns_switches_the_reminders_per_membership(client, reader, membership, column):
    lifetime = make_membership(reader, make_column(title="买断专栏"))
    other = make_membership(reader, make_column(title="另一个专栏"), days=100)
    client.force_login(reader)
    page = client.get(reverse("members:my-columns")).content.decode()
    assert "不再接收续费提醒" in page
    assert reverse("members:renewal-reminders", kwargs={"slug": column.slug}) in page
    assert reverse("members:renewal-reminders", kwargs={"slug": lifetime.column.slug}) not in page
    response = client.post(reverse("members:renewal-reminders", kwargs={"slug": column.slug}), {"renewal_reminders": "off"})
    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).email_renewal_reminders is False
    assert Membership.objects.get(pk=other.pk).email_renewal_reminders is True
    client.post(reverse("members:renewal-reminders", kwargs={"slug": column.slug}), {"renewal_reminders": "on"})
    assert Membership.objects.get(pk=membership.pk).email_renewal_reminders is True
    client.force_login(make_user())
    assert client.post(reverse("members:renewal-reminders", kwargs={"slug": column.slug}), {"renewal_reminders": "off"}).status_code == 404


def test_a_failing_mail_server_is_retried_later_and_the_reminder_sent_once(membership, ends_at, clock, database_tasks):
    FlakyEmailBackend.server_down = True
    clock(ends_at - 7 * DAY + HOUR)
    remind()
    run_queued_tasks()
    row = RenewalReminder.objects.get()
    assert (row.status, row.attempts) == (RenewalReminder.Status.FAILED, 1) and "111" in row.last_error
    [retry] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert retry.run_after == row.updated_at + RETRY_DELAYS[0]
    assert remind() == "reminders due now: 0; emails enqueued: 0\n"  # its wait is not over
    FlakyEmailBackend.server_down = False
    clock(retry.run_after)
    run_queued_tasks()
    remind()
    run_queued_tasks()
    assert recipients() == ["buyer@example.com"]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (RenewalReminder.Status.SENT, 2)


def test_a_refused_address_is_given_up_after_the_last_attempt(membership, ends_at, clock, database_tasks):
    FlakyEmailBackend.refused = {"buyer@example.com"}
    clock(ends_at - 7 * DAY + HOUR)
    remind()
    run_queued_tasks()
    while retries := list(DBTaskResult.objects.filter(status=TaskResultStatus.READY)):
        clock(retries[0].run_after)
        run_queued_tasks()
    row = RenewalReminder.objects.get()
    assert (row.status, row.attempts) == (RenewalReminder.Status.ABANDONED, MAX_ATTEMPTS)
    assert not mail.outbox


def test_without_a_worker_the_next_hourly_run_retries(membership, ends_at, clock):
    """The immediate backend cannot defer a retry; the command picks up the failed reminder when due."""
    FlakyEmailBackend.server_down = True
    clock(ends_at - 7 * DAY + HOUR)
    remind()
    assert RenewalReminder.objects.get().status == RenewalReminder.Status.FAILED
    FlakyEmailBackend.server_down = False
    clock(ends_at - 7 * DAY + 2 * HOUR)
    assert remind() == "reminders due now: 0; emails enqueued: 1\n"
    assert recipients() == ["buyer@example.com"]


def test_the_emails_are_chinese_and_carry_no_article_text(membership, column, ends_at, clock):
    article = make_article(column, title="会员文章的标题", body=paid_body())
    for moment in [ends_at - 7 * DAY + HOUR, ends_at - DAY + HOUR, ends_at + HOUR]:
        clock(moment)
        remind()
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        text = all_text(message)
        assert "付费专栏" in message.subject and "到期" in message.subject
        assert "一键续费" in text and "¥99" in text and "不再接收本专栏的续费提醒" in text
        assert "Renew" not in text and "membership" not in text
        assert article.title not in text and "免费段落" not in text
        for paragraph in PAID_PARAGRAPHS:
            assert paragraph not in text
    assert "不会自动续费" in mail.outbox[0].body and "已于" in mail.outbox[2].body


def test_finding_and_enqueueing_costs_the_same_queries_however_many_are_due(column, database_tasks):
    """Finding what is due is one query and recording it one insert, however many memberships are
    due (no query per membership: the N+1 this guards against). Enqueueing adds one insert per
    email, because django-tasks' database backend writes each task as it is enqueued and has no
    bulk enqueue."""
    ends = timezone.now() + 7 * DAY - HOUR

    def queries_for(count: int) -> tuple[int, int]:
        for _ in range(count):
            make_membership(make_user(), make_column(), ends_at=ends)
        with CaptureQueriesContext(connection) as captured:
            remind()
        task_inserts = [query for query in captured if query["sql"].startswith("INSERT") and DBTaskResult._meta.db_table in query["sql"]]
        return len(captured) - len(task_inserts), len(task_inserts)

    one, six = queries_for(1), queries_for(6)
    assert one[1] == 1 and six[1] == 6
    assert one[0] == six[0] == 3  # what is due, the insert, the rows to enqueue
