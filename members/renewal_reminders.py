"""Renewal reminders: a member whose membership nothing renews by itself (paid with WeChat Pay, by
transfer or in the sandbox, opened by a redeem code or given for some days, or a Stripe
subscription set to stop) is emailed 7 days before it ends, 1 day before, and once it has ended,
each with a link that renews it in one click. Each goes once per membership and end date.

1. Find (`renewal_reminders_create`, run hourly by the `send_renewal_reminders` command): one query
   finds the memberships with a reminder due now that has no row yet, and one insert records a
   `RenewalReminder` row for each; the unique (membership, kind, ends_at) constraint means two runs
   at once record it once. A reminder is due from its moment until the next one's (7 days before
   the end until 1 day before, then until the end, then for LATE_EXPIRY after it), and only for a
   membership that had begun by its moment: a five-day code is not greeted with a reminder. A
   renewal moves the end date, so the next end's reminders are new rows.
2. Send (`renewal_reminder_send`, one background task per row, members.tasks): the row is claimed
   by one UPDATE, so a row given two tasks is sent once; the membership is asked again (still
   ending on that date, still not renewing, reminders still on); a failure waits RETRY_DELAYS as a
   new-article email does, up to MAX_ATTEMPTS.

Who is reminded is `reminded_memberships`: never a lifetime, revoked (refunded, disputed) or
auto-renewing membership, a free or unpublished column, an inactive reader or one without a
verified address. The emails name the column, the date, the price and links, never an article.

A free trial (members.trials) is not a membership to renew: its reader gets a trial-ending email
instead, with a link to the join page (where the plans are), 1 day before and once it has ended;
never 7 days before, which for a week's trial would be the day it starts. A trial that a Stripe
subscription will charge at its end renews by itself and is left alone like any other.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from articles.absolute_urls import absolute_url
from articles.models import Column
from members.models import Membership, Plan, RenewalReminder
from members.notifications import MAX_ATTEMPTS, STALE_CLAIM, due_for_retry, membership_for_unsubscribe_token, retry_delay, unsubscribe_token
from members.selectors import renewing_subscriptions
from portal.emails import automatic_email

logger = logging.getLogger(__name__)

Kind = RenewalReminder.Kind
Status = RenewalReminder.Status

# How long before the end each reminder becomes due, in order; each is due until the next one's moment.
SCHEDULE = ((Kind.WEEK_BEFORE, timedelta(days=7)), (Kind.DAY_BEFORE, timedelta(days=1)), (Kind.EXPIRED, timedelta(0)))
# The reminder on expiry goes within this long after the end, never later.
LATE_EXPIRY = timedelta(days=1)
# Kinds a free trial is not reminded with (see the module's docstring).
NOT_FOR_TRIALS = {Kind.WEEK_BEFORE}
UNSUBSCRIBE_SALT = "members.renewal-reminders.unsubscribe"


# Who and when


def reminded_memberships():
    """Memberships that may be reminded: an end date that nothing renews by itself, not revoked, of a
    published paid column, the reader active with a verified address, the reminders on."""
    renewing = renewing_subscriptions().filter(user=OuterRef("user_id"), column=OuterRef("column_id"))
    verified = EmailAddress.objects.filter(user=OuterRef("user_id"), email__iexact=OuterRef("user__email"), verified=True)
    return (
        Membership.objects.filter(
            revoked_at__isnull=True,
            expires_at__isnull=False,
            email_renewal_reminders=True,
            user__is_active=True,
            column__status=Column.Status.PUBLISHED,
            column__is_free=False,
        )
        .filter(Exists(verified))
        .exclude(Exists(renewing))
    )


def due_kind(now: datetime) -> Case:
    """The kind of reminder due now for a membership, by its end date; NULL when none is."""
    whens = []
    for index, (kind, before) in enumerate(SCHEDULE):
        until = SCHEDULE[index + 1][1] if index + 1 < len(SCHEDULE) else -LATE_EXPIRY
        due = Q(expires_at__lte=now + before, expires_at__gt=now + until, starts_at__lte=F("expires_at") - before)
        if kind in NOT_FOR_TRIALS:
            due &= ~Q(source=Membership.Source.TRIAL)
        whens.append(When(due, then=Value(kind)))
    return Case(*whens, default=None, output_field=CharField())


def reminders_due(now: datetime):
    """(membership id, kind, end date) of every reminder due now and not yet recorded: one query."""
    recorded = RenewalReminder.objects.filter(membership=OuterRef("pk"), kind=OuterRef("due"), ends_at=OuterRef("expires_at"))
    return (
        reminded_memberships()
        .annotate(due=due_kind(now))
        .filter(due__isnull=False)
        .exclude(Exists(recorded))
        .order_by("pk")
        .values_list("pk", "due", "expires_at")
    )


def renewal_reminders_create(*, now: datetime) -> int:
    """Record every reminder due now. Returns how many were due; a concurrent run may have
    recorded some of them first, and the constraint keeps one row each."""
    due = list(reminders_due(now))
    RenewalReminder.objects.bulk_create(
        [RenewalReminder(membership_id=membership_id, kind=kind, ends_at=ends_at) for membership_id, kind, ends_at in due], ignore_conflicts=True
    )
    return len(due)


def claimable(now: datetime) -> Q:
    """Rows a task may send now: waiting, failed and due for a retry, or left "being sent" by a
    worker that died STALE_CLAIM ago; never more than MAX_ATTEMPTS tries."""
    return Q(attempts__lt=MAX_ATTEMPTS) & (
        Q(status=Status.PENDING) | (Q(status=Status.FAILED) & due_for_retry(now)) | Q(status=Status.SENDING, updated_at__lt=now - STALE_CLAIM)
    )


def reminders_to_enqueue(*, recorded_since: datetime, now: datetime) -> list[int]:
    """The rows that need a task: the ones recorded since this run began, and those their task did
    not send (failed and due, lost, or left mid-send). A row an earlier run recorded less than
    STALE_CLAIM ago still has its task waiting, and gets no second."""
    waiting_for_their_task = Q(status=Status.PENDING, created_at__lt=recorded_since, created_at__gte=now - STALE_CLAIM)
    return list(RenewalReminder.objects.filter(claimable(now)).exclude(waiting_for_their_task).order_by("pk").values_list("pk", flat=True))


# Renewing and switching off


def renew_url(column: Column, plan: Plan | None) -> str:
    """One click to renew: the checkout of the column's annual plan, or its join page when that
    plan is no longer on sale (or there is no plan to renew: a trial chooses one there). Checkout
    asks a reader who is not signed in to sign in first."""
    if plan is None:
        return absolute_url(reverse("members:join", kwargs={"slug": column.slug}))
    return absolute_url(reverse("members:checkout", kwargs={"plan_id": plan.pk}))


def reminders_unsubscribe_url(membership: Membership) -> str:
    token = unsubscribe_token(membership, salt=UNSUBSCRIBE_SALT)
    return absolute_url(reverse("members:renewal-reminders-unsubscribe", kwargs={"token": token}))


def membership_for_reminders_token(token: str) -> Membership | None:
    return membership_for_unsubscribe_token(token, salt=UNSUBSCRIBE_SALT)


def membership_set_renewal_reminders(*, membership: Membership, enabled: bool) -> Membership:
    Membership.objects.filter(pk=membership.pk).update(email_renewal_reminders=enabled, updated_at=timezone.now())
    membership.email_renewal_reminders = enabled
    return membership


# Sending


@dataclass(frozen=True)
class SendOutcome:
    status: str  # the row's status afterwards, or "not claimed" when another task has it or sent it
    retry_after: datetime | None = None  # failed: when to try again


def reminder_message(reminder: RenewalReminder, membership: Membership, *, connection) -> EmailMultiAlternatives:
    column = membership.column
    plan = Plan.objects.filter(column=column, kind=Plan.Kind.ANNUAL, is_active=True).first()
    email = "trial_ending" if membership.is_trial else "renewal_reminder"
    context = {
        "ended": reminder.kind == Kind.EXPIRED,
        "within_a_day": reminder.kind == Kind.DAY_BEFORE,
        "column": column,
        "ends_at": reminder.ends_at,
        "plan": plan,
        "renew_url": renew_url(column, None if membership.is_trial else plan),
        "column_url": absolute_url(column.get_absolute_url()),
        "settings_url": absolute_url(reverse("members:my-columns")),
        "unsubscribe_url": reminders_unsubscribe_url(membership),
        "site_name": settings.SITE_NAME,
    }
    return automatic_email(f"members/email/{email}", context, membership.user.email, unsubscribe_url=context["unsubscribe_url"], connection=connection)


def still_due(reminder: RenewalReminder, now: datetime) -> Membership | None:
    """The membership, if the reminder should still go: it may be reminded and still ends on the
    date the reminder is about, ahead (or, for the one on expiry, past)."""
    membership = reminded_memberships().select_related("user", "column").filter(pk=reminder.membership_id, expires_at=reminder.ends_at).first()
    if membership is None or (reminder.kind == Kind.EXPIRED) != (reminder.ends_at <= now):
        return None
    return membership


def renewal_reminder_send(*, reminder_id: int) -> SendOutcome:
    """Send one reminder if it is claimable now, over a connection of its own."""
    now = timezone.now()
    if not RenewalReminder.objects.filter(claimable(now), pk=reminder_id).update(status=Status.SENDING, updated_at=now):
        return SendOutcome("not claimed")
    reminder = RenewalReminder.objects.get(pk=reminder_id)
    membership = still_due(reminder, now)
    rows = RenewalReminder.objects.filter(pk=reminder_id)
    if membership is None:
        rows.update(status=Status.SKIPPED, updated_at=timezone.now())
        return SendOutcome(Status.SKIPPED)
    attempts = reminder.attempts + 1
    try:
        with get_connection() as connection:
            reminder_message(reminder, membership, connection=connection).send()
    except Exception as error:
        logger.warning("Renewal reminder %s to %s failed (attempt %s): %s", reminder_id, membership.user.email, attempts, error)
        failed_at = timezone.now()
        status = Status.FAILED if attempts < MAX_ATTEMPTS else Status.ABANDONED
        rows.update(status=status, attempts=attempts, last_error=str(error)[:300], updated_at=failed_at)
        return SendOutcome(status, failed_at + retry_delay(attempts) if status == Status.FAILED else None)
    sent_at = timezone.now()
    rows.update(status=Status.SENT, attempts=attempts, last_error="", sent_at=sent_at, updated_at=sent_at)
    return SendOutcome(Status.SENT)
