"""New-article emails: when an article becomes visible, each active member of its column who has
not switched them off gets it by email, once.

1. Announce (once per article, `new_article_announce`): the recipients are fixed in one transaction
   as one `NewArticleEmail` row per reader; the unique (article, reader) constraint means nobody
   is queued twice, however often announcing is attempted.
2. Send (`new_article_emails_send`): rows are claimed in batches and sent over one SMTP
   connection; each recipient's text is what `can_read_in_full` allows them, asked at send time.
   A failed row waits RETRY_DELAYS (1, 5, 15, 60 minutes) before its next attempt, up to
   MAX_ATTEMPTS; then it is given up.

Only articles written here are announced: an imported article (import_ref set) never is, nor one
published more than settings.NEW_ARTICLE_EMAIL_DAYS ago, so importing a back catalogue of
thousands of articles mails nobody.

Publishing a draft column makes all its recent articles visible at once; they are announced
together (`new_column_announce`, which each article's own announcing goes through too, so the order
the tasks run in does not matter) as one digest per reader, "N new articles in «column»", with
titles, free previews and links only. Its announcements share one created_at and only its newest
article gets `NewArticleEmail` rows, so every path below (claims, retries, the admin) handles one
digest as one email; the sender finds the other articles by that shared moment (`announced_with`).
A single article keeps its own email, in full for readers who may read it.

When it happens is members.tasks, on the task backend (settings.TASKS; with the database backend a
`db_worker` runs them, and nothing is sent inside the request). Saving an article that is or will
be announceable enqueues `new_article_announce_task` after commit: a visible article's runs at
once, a scheduled one's is deferred to its published_at and checks again then, so a task for an
article since unpublished or moved does nothing (the save that moved it queued its own). The
announce task queues one `new_article_emails_batch_task` per batch of recipients, and one
`new_article_emails_retry_task` for after STALE_CLAIM, to send what a worker that died mid-batch
left. A run with failures queues a retry task for when they are all due; it sends whatever is due
then, and queues the next if some fail again. However many tasks an article gets (every save
enqueues one), the announcement row and the claimed rows make all but the first do nothing.

The `send_new_article_emails` command is a manual trigger and a safety net, not a cron job: it
announces visible articles nobody announced (a process stopped between commit and enqueue; the
"immediate" task backend, which cannot defer scheduled articles or retries) and sends or retries
everything queued at once.
"""

import enum
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from articles.absolute_urls import absolute_url, absolutize_html
from articles.markdown import html_to_text
from articles.models import Article, Column
from members.access import can_read_in_full
from members.models import Membership, NewArticleAnnouncement, NewArticleEmail
from portal.emails import automatic_email

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# How long a row waits after its nth failed attempt: a mail server that refused a moment ago is
# given time to recover, and the MAX_ATTEMPTS spread over some 80 minutes.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))
# A row claimed this long ago and never finished belongs to a run that died; it is sent again.
STALE_CLAIM = timedelta(minutes=30)
UNSUBSCRIBE_SALT = "members.new-article-emails.unsubscribe"


# Which articles


def announcement_window_start(now=None):
    return (now or timezone.now()) - timedelta(days=settings.NEW_ARTICLE_EMAIL_DAYS)


def is_announceable(article: Article, now=None) -> bool:
    """Written here (not imported), visible now, and published within the window."""
    now = now or timezone.now()
    return (
        not article.import_ref
        and article.status == Article.Status.PUBLISHED
        and announcement_window_start(now) <= article.published_at <= now
        and article.is_visible
    )


def unannounced_articles():
    """Visible articles nobody announced yet: a column just published, or for the command, a process
    that stopped before enqueueing after commit or a task backend that could not defer a scheduled
    article until its time."""
    return Article.objects.published().filter(import_ref="", published_at__gte=announcement_window_start(), announcement__isnull=True)


def columns_to_announce():
    """Columns with unannounced visible articles, for the command, which announces each column's
    together as one digest."""
    return unannounced_articles().order_by("column_id").values_list("column_id", flat=True).distinct()


def recipients_of(column_id: int):
    """Readers to email about a new article of the column: active members with the setting on."""
    return (
        Membership.objects.active()
        .filter(column_id=column_id, email_new_articles=True, user__is_active=True)
        .exclude(user__email="")
        .values_list("user_id", flat=True)
    )


# Announcing


def new_article_announce(*, article_id: int) -> int:
    """Queue one email per recipient, once per article (see `new_article_announcement`). Returns
    how many were queued now."""
    return new_article_announcement(article_id=article_id).recipients


def new_article_announcement(*, article_id: int) -> "ColumnAnnouncement":
    """Announce the article if it is announceable, together with whatever else of its column became
    visible and nobody announced yet: the articles of a draft column just published, whose own
    tasks may run after the column's, or a second article published before the worker got to the
    first, go out as one digest instead of an email each."""
    article = Article.objects.select_related("column").defer("body", "body_html").filter(pk=article_id).first()
    if article is None or not is_announceable(article):
        return ColumnAnnouncement()
    return new_column_announce(column_id=article.column_id)


@dataclass
class ColumnAnnouncement:
    """What `new_column_announce` queued: emails about `article_id` (the digest's newest article)."""

    article_id: int | None = None
    articles: int = 0
    recipients: int = 0


def new_column_announce(*, column_id: int) -> ColumnAnnouncement:
    """Announce together every announceable article of the column nobody announced yet: one email
    per recipient, a digest when there are several. Safe to repeat and to run beside
    `new_article_announce`: an article another run announced first is left out."""
    with transaction.atomic():
        # One run per column at a time, so two runs at once cannot split one digest into two.
        list(Column.objects.select_for_update().filter(pk=column_id).values_list("pk", flat=True))
        candidates = unannounced_articles().filter(column_id=column_id).select_related("column").defer("body", "body_html").order_by("published_at", "pk")
        # One by one, so that each article is in exactly one announcement however runs interleave.
        articles = [article for article in candidates if is_announceable(article) and NewArticleAnnouncement.objects.get_or_create(article=article)[1]]
        if not articles:
            return ColumnAnnouncement()
        lead = articles[-1]
        queued = queue_emails(lead, articles)
    logger.info("Announced %s articles of column %s to %s readers", len(articles), column_id, queued)
    return ColumnAnnouncement(article_id=lead.pk, articles=len(articles), recipients=queued)


def queue_emails(lead: Article, articles: list[Article]) -> int:
    """One email row per recipient about `lead`, which is among `articles`, all just announced; the
    announcements get one moment, which is what ties a digest's articles together."""
    user_ids = list(recipients_of(lead.column_id))
    NewArticleEmail.objects.bulk_create([NewArticleEmail(article=lead, user_id=user_id) for user_id in user_ids], batch_size=500, ignore_conflicts=True)
    NewArticleAnnouncement.objects.filter(article__in=articles).update(recipients=len(user_ids), created_at=timezone.now())
    return len(user_ids)


def announced_with(article: Article) -> list[Article]:
    """The articles announced together with `article` (itself included), oldest first. Those of a
    digest share their announcement's created_at and have no emails of their own, which keeps an
    article announced alone at the same instant out of another's digest."""
    announced_at = NewArticleAnnouncement.objects.filter(article_id=article.pk).values("created_at")[:1]
    own_emails = NewArticleEmail.objects.filter(article_id=OuterRef("pk"))
    return list(
        Article.objects.filter(column_id=article.column_id, announcement__created_at=announced_at)
        .filter(Q(pk=article.pk) | ~Exists(own_emails))
        .select_related("column")
        .defer("body", "body_html")
        .order_by("published_at", "pk")
    )


# Unsubscribing
#
# One signed token per membership and purpose: `salt` names the emails it switches off (renewal
# reminders use their own), so a link from one kind of email cannot switch off another.


def unsubscribe_token(membership: Membership, *, salt: str = UNSUBSCRIBE_SALT) -> str:
    return signing.Signer(salt=salt, sep=".").sign(f"{membership.pk}-{membership.user_id}")


def membership_for_unsubscribe_token(token: str, *, salt: str = UNSUBSCRIBE_SALT) -> Membership | None:
    try:
        value = signing.Signer(salt=salt, sep=".").unsign(token)
    except signing.BadSignature:
        return None
    membership_id, _, user_id = value.partition("-")
    return Membership.objects.select_related("column", "user").filter(pk=membership_id, user_id=user_id).first()


def unsubscribe_url(membership: Membership) -> str:
    return absolute_url(reverse("members:unsubscribe", kwargs={"token": unsubscribe_token(membership)}))


def membership_set_email_new_articles(*, membership: Membership, enabled: bool) -> Membership:
    Membership.objects.filter(pk=membership.pk).update(email_new_articles=enabled, updated_at=timezone.now())
    membership.email_new_articles = enabled
    return membership


# Sending


class Retry(enum.Enum):
    """Which failed rows a run sends besides the pending ones."""

    NO = "no"  # a first batch: pending rows only, so each batch task has its own share
    WHEN_DUE = "when due"  # a retry task: failed rows whose RETRY_DELAYS wait is over
    NOW = "now"  # the command, run by hand: every failed row, at once


def batch_size() -> int:
    return max(1, settings.NEW_ARTICLE_EMAIL_BATCH)


def retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    # When every row this run failed (and did not give up) may be tried again; None: none to retry.
    retry_after: datetime | None = None

    def failed_until(self, due: datetime) -> None:
        self.retry_after = due if self.retry_after is None else max(self.retry_after, due)

    def counts(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "skipped": self.skipped}


def release_stale_claims(now) -> int:
    """Rows left "being sent" by a run that died go back to the queue as failed, updated_at kept,
    so the next run that retries failed rows sends them."""
    return NewArticleEmail.objects.filter(status=NewArticleEmail.Status.SENDING, updated_at__lt=now - STALE_CLAIM).update(
        status=NewArticleEmail.Status.FAILED, last_error="interrupted while sending"
    )


def due_for_retry(now) -> Q:
    # attempts=0: released from a run that died before trying, so nothing to wait for.
    due = Q(attempts=0)
    for attempts in range(1, MAX_ATTEMPTS):
        due |= Q(attempts=attempts, updated_at__lte=now - retry_delay(attempts))
    return due


def claim_batch(*, started, article_id: int | None, size: int, retry: Retry) -> list[int]:
    """Mark up to `size` rows as being sent and return them. Rows locked by another run are
    skipped (PostgreSQL); SQLite runs one writer at a time. Failed rows are retried as `retry`
    says, but never twice in the same run."""
    claimable = Q(status=NewArticleEmail.Status.PENDING)
    if retry is not Retry.NO:
        failed = Q(status=NewArticleEmail.Status.FAILED, updated_at__lt=started)
        claimable |= (failed & due_for_retry(started)) if retry is Retry.WHEN_DUE else failed
    queue = NewArticleEmail.objects.filter(claimable, attempts__lt=MAX_ATTEMPTS)
    if article_id is not None:
        queue = queue.filter(article_id=article_id)
    with transaction.atomic():
        ids = list(queue.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)[:size])
        NewArticleEmail.objects.filter(pk__in=ids).update(status=NewArticleEmail.Status.SENDING, updated_at=timezone.now())
    return ids


class Mailer:
    """Builds each recipient's message; remembers article bodies and digests per batch."""

    def __init__(self, connection):
        self.connection = connection
        self.bodies: dict[int, str] = {}
        self.digests: dict[int, list[Article]] = {}

    def articles_of(self, row: NewArticleEmail) -> list[Article]:
        """What the row's email tells about, as visible now: its article, or its digest's articles."""
        if row.article_id not in self.digests:
            self.digests[row.article_id] = announced_with(row.article) or [row.article]
        return [article for article in self.digests[row.article_id] if article.is_visible]

    def body_html(self, article: Article) -> str:
        if article.pk not in self.bodies:
            self.bodies[article.pk] = Article.objects.values_list("body_html", flat=True).get(pk=article.pk)
        return self.bodies[article.pk]

    def message(self, row: NewArticleEmail, membership: Membership, articles: list[Article]) -> EmailMultiAlternatives:
        if len(articles) > 1:
            return self.digest(row, membership, articles)
        article, user = articles[0], row.user
        reads_in_full = can_read_in_full(user, article)
        content_html = absolutize_html(self.body_html(article) if reads_in_full else article.preview_html)
        context = {
            "article": article,
            "column": article.column,
            "content_html": content_html,
            "content_text": html_to_text(content_html),
            "reads_in_full": reads_in_full,
            "article_url": absolute_url(article.get_absolute_url()),
            "column_url": absolute_url(article.column.get_absolute_url()),
            "settings_url": absolute_url(reverse("members:my-columns")),
            "unsubscribe_url": unsubscribe_url(membership),
            "site_name": settings.SITE_NAME,
        }
        return automatic_email(
            "members/email/new_article",
            context,
            user.email,
            unsubscribe_url=context["unsubscribe_url"],
            connection=self.connection,
            list_id=f"{article.column.slug}.columns",
        )

    def digest(self, row: NewArticleEmail, membership: Membership, articles: list[Article]) -> EmailMultiAlternatives:
        """Several articles: titles, free previews and links, the same for every reader, so no paid
        text goes out whoever reads it; each link opens the article as the reader may read it."""
        column = articles[0].column
        entries = []
        for article in articles:
            preview_html = absolutize_html(article.preview_html)
            entries.append(
                {"article": article, "preview_html": preview_html, "preview_text": html_to_text(preview_html), "url": absolute_url(article.get_absolute_url())}
            )
        context = {
            "column": column,
            "entries": entries,
            "column_url": absolute_url(column.get_absolute_url()),
            "settings_url": absolute_url(reverse("members:my-columns")),
            "unsubscribe_url": unsubscribe_url(membership),
            "site_name": settings.SITE_NAME,
        }
        return automatic_email(
            "members/email/new_articles",
            context,
            row.user.email,
            unsubscribe_url=context["unsubscribe_url"],
            connection=self.connection,
            list_id=f"{column.slug}.columns",
        )


def send_claimed(mailer: Mailer, ids: list[int], report: SendReport) -> None:
    rows = list(
        NewArticleEmail.objects.filter(pk__in=ids).select_related("user", "article__column").defer("article__body", "article__body_html").order_by("pk")
    )
    memberships = {
        (membership.column_id, membership.user_id): membership
        for membership in Membership.objects.active().filter(user_id__in={row.user_id for row in rows}, column_id__in={row.article.column_id for row in rows})
    }
    for row in rows:
        membership = memberships.get((row.article.column_id, row.user_id))
        articles = mailer.articles_of(row)
        if membership is None or not membership.email_new_articles or not row.user.is_active or not articles:
            NewArticleEmail.objects.filter(pk=row.pk).update(status=NewArticleEmail.Status.SKIPPED, updated_at=timezone.now())
            report.skipped += 1
            continue
        attempts = row.attempts + 1
        try:
            mailer.message(row, membership, articles).send()
        except Exception as error:
            logger.warning("New-article email %s to %s failed (attempt %s): %s", row.article_id, row.user.email, attempts, error)
            mark_failed(NewArticleEmail.objects.filter(pk=row.pk), attempts=attempts, error=error, report=report)
            report.errors.append(f"{row.user.email}: {error}")
        else:
            now = timezone.now()
            NewArticleEmail.objects.filter(pk=row.pk).update(status=NewArticleEmail.Status.SENT, attempts=attempts, last_error="", sent_at=now, updated_at=now)
            report.sent += 1


def mark_failed(rows, *, attempts: int, error: Exception, report: SendReport) -> None:
    """Record a failed attempt on rows that have all had `attempts` attempts now: failed, to be
    retried once their wait is over, or given up after MAX_ATTEMPTS."""
    now = timezone.now()
    if attempts < MAX_ATTEMPTS:
        status = NewArticleEmail.Status.FAILED
        report.failed_until(now + retry_delay(attempts))
    else:
        status = NewArticleEmail.Status.ABANDONED
    report.failed += rows.update(status=status, attempts=attempts, last_error=str(error)[:300], updated_at=now)


def release_claims(ids: list[int], error: Exception, report: SendReport) -> None:
    """The mail server could not be reached: each claimed row counts one failed attempt."""
    claimed = NewArticleEmail.objects.filter(pk__in=ids, status=NewArticleEmail.Status.SENDING)
    for attempts in set(claimed.values_list("attempts", flat=True)):
        mark_failed(claimed.filter(attempts=attempts), attempts=attempts + 1, error=error, report=report)
    report.errors.append(str(error))


def new_article_emails_send(*, article_id: int | None = None, limit: int | None = None, retry: Retry = Retry.WHEN_DUE) -> SendReport:
    """Send queued emails in batches of settings.NEW_ARTICLE_EMAIL_BATCH over one connection: up to
    `limit` of them, of one article or all, retrying failed ones as `retry` says."""
    started = timezone.now()
    report = SendReport()
    release_stale_claims(started)
    mailer, handled = None, 0
    try:
        while limit is None or handled < limit:
            size = batch_size() if limit is None else min(batch_size(), limit - handled)
            ids = claim_batch(started=started, article_id=article_id, size=size, retry=retry)
            if not ids:
                break
            if mailer is None:
                # Opened only when there is something to send, and then once for the whole run.
                mailer = Mailer(get_connection())
                try:
                    mailer.connection.open()
                except Exception as error:
                    logger.warning("Mail server unavailable, %s new-article emails wait for a retry: %s", len(ids), error)
                    release_claims(ids, error, report)
                    mailer = None
                    break
            send_claimed(mailer, ids, report)
            handled += len(ids)
    finally:
        if mailer is not None:
            mailer.connection.close()
    return report
