"""Comment emails: a reader is told when someone replies to their comment, and an author gets a
digest of the new comments on their columns, at most one per DIGEST_EVERY. Either can be switched
off in the reader's comment email settings, or with one click from the email (a signed token that
names the reader and the kind, so it works without signing in).

1. Queue: a reply queues one `CommentEmail` row for the writer of the comment it answers
   (`reply_email_queue`); `digests_create` records one digest row per author with new comments
   since their last digest. The rows' unique constraints keep one per reply and per period.
2. Send (`comment_email_send`, one background task per row, articles/comments/tasks.py): the row is
   claimed by one UPDATE, so a row given two tasks is sent once; the reader's choice and their
   right to read the comments (members.access, asked at send time) are checked again; a failure
   waits RETRY_DELAYS, up to MAX_ATTEMPTS, as the member emails do.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from articles.absolute_urls import absolute_url
from articles.markdown import excerpt, html_to_text
from articles.models import Author, Comment, CommentEmail, CommentEmailSettings
from members.access import can_read_comments
from portal.emails import automatic_email

logger = logging.getLogger(__name__)

Kind = CommentEmail.Kind
Status = CommentEmail.Status

MAX_ATTEMPTS = 5
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))
STALE_CLAIM = timedelta(minutes=30)
DIGEST_EVERY = timedelta(hours=1)
# An author's first digest looks back this far.
FIRST_DIGEST_LOOKBACK = timedelta(days=1)
DIGEST_MAX_COMMENTS = 50
UNSUBSCRIBE_SALT = "articles.comment-emails.unsubscribe"
SETTING_OF_KIND = {Kind.REPLY: "email_replies", Kind.DIGEST: "email_digest"}


# The reader's choice


def wants(user, kind: str) -> bool:
    chosen = CommentEmailSettings.objects.filter(user=user).values_list(SETTING_OF_KIND[kind], flat=True).first()
    return chosen is not False


def comment_emails_set(*, user, kind: str, enabled: bool) -> None:
    CommentEmailSettings.objects.update_or_create(user=user, defaults={SETTING_OF_KIND[kind]: enabled})


def unsubscribe_token(user, kind: str) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT, sep=".").sign(f"{user.pk}-{kind}")


def user_for_unsubscribe_token(token: str) -> tuple[object, str] | None:
    """(reader, kind) named by a token from an email, or None when it is not one of ours."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT, sep=".").unsign(token)
    except signing.BadSignature:
        return None
    user_id, _, kind = value.partition("-")
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or kind not in SETTING_OF_KIND:
        return None
    return user, kind


def unsubscribe_url(user, kind: str) -> str:
    return absolute_url(reverse("articles:comment-emails-unsubscribe", kwargs={"token": unsubscribe_token(user, kind)}))


# Queueing


def reply_email_queue(*, reply: Comment) -> CommentEmail | None:
    """The row for the email telling the writer of the comment answered; None when nobody is told
    (their own reply, no address, emails switched off)."""
    parent = reply.parent
    if parent is None or parent.user_id == reply.user_id or not parent.user.email or not wants(parent.user, Kind.REPLY):
        return None
    email, _created = CommentEmail.objects.get_or_create(kind=Kind.REPLY, user=parent.user, comment=reply)
    return email


def digest_recipients():
    """Authors' accounts that may get digests: active, with an address."""
    return get_user_model().objects.filter(pk__in=Author.objects.filter(user__isnull=False).values("user_id"), is_active=True).exclude(email="")


def comments_for_digest(user, since: datetime, until: datetime):
    return (
        Comment.objects.shown()
        .filter(article__column__authors__user=user, created_at__gt=since, created_at__lte=until)
        .exclude(user=user)
        .select_related("user", "article__column")
        .defer("article__body", "article__body_html")
        .order_by("article__column_id", "article_id", "created_at")
    )


def digests_create(*, now: datetime) -> list[int]:
    """Record a digest for each author with new comments since their last one (DIGEST_EVERY
    apart at least). Returns the new rows' ids; two runs at once record each period once."""
    created = []
    for user in digest_recipients():
        last = CommentEmail.objects.filter(kind=Kind.DIGEST, user=user).order_by("-until").values_list("until", flat=True).first()
        if last is not None and now - last < DIGEST_EVERY:
            continue
        since = last or now - FIRST_DIGEST_LOOKBACK
        if not wants(user, Kind.DIGEST) or not comments_for_digest(user, since, now).exists():
            continue
        email, was_created = CommentEmail.objects.get_or_create(kind=Kind.DIGEST, user=user, since=since, defaults={"until": now})
        if was_created:
            created.append(email.pk)
    return created


# Sending


def due_for_retry(now) -> Q:
    due = Q(attempts=0)
    for attempts in range(1, MAX_ATTEMPTS):
        due |= Q(attempts=attempts, updated_at__lte=now - retry_delay(attempts))
    return due


def retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def claimable(now) -> Q:
    return Q(attempts__lt=MAX_ATTEMPTS) & (
        Q(status=Status.PENDING) | (Q(status=Status.FAILED) & due_for_retry(now)) | Q(status=Status.SENDING, updated_at__lt=now - STALE_CLAIM)
    )


def emails_to_enqueue(*, now: datetime) -> list[int]:
    """Rows their task did not send: failed and due, lost, or left mid-send (for the command)."""
    return list(CommentEmail.objects.filter(claimable(now)).order_by("pk").values_list("pk", flat=True))


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_after: datetime | None = None


def reply_context(email: CommentEmail) -> dict | None:
    reply = Comment.objects.select_related("user", "parent", "article__column").filter(pk=email.comment_id).first()
    if reply is None or not reply.is_shown or reply.parent is None or not can_read_comments(email.user, reply.article):
        return None
    return {
        "reply": reply,
        "reply_text": html_to_text(reply.body_html),
        "parent_excerpt": excerpt(html_to_text(reply.parent.body_html), 80),
        "article": reply.article,
        "comment_url": absolute_url(reply.get_absolute_url()),
    }


def digest_context(email: CommentEmail) -> dict | None:
    comments = [c for c in comments_for_digest(email.user, email.since, email.until)[:DIGEST_MAX_COMMENTS] if can_read_comments(email.user, c.article)]
    if not comments:
        return None
    entries = [{"comment": c, "text": excerpt(html_to_text(c.body_html), 200), "url": absolute_url(c.get_absolute_url())} for c in comments]
    return {"entries": entries, "count": len(entries)}


def message_for(email: CommentEmail) -> EmailMultiAlternatives | None:
    """The email as it should go now, or None when there is nothing (left) to send."""
    if not email.user.is_active or not email.user.email or not wants(email.user, email.kind):
        return None
    context = reply_context(email) if email.kind == Kind.REPLY else digest_context(email)
    if context is None:
        return None
    context |= {
        "unsubscribe_url": unsubscribe_url(email.user, email.kind),
        "settings_url": absolute_url(reverse("articles:comment-email-settings")),
        "site_name": settings.SITE_NAME,
    }
    return automatic_email(f"articles/comments/email/{email.kind}", context, email.user.email, unsubscribe_url=context["unsubscribe_url"])


def comment_email_send(*, email_id: int) -> SendOutcome:
    """Send one comment email if it is claimable now."""
    now = timezone.now()
    if not CommentEmail.objects.filter(claimable(now), pk=email_id).update(status=Status.SENDING, updated_at=now):
        return SendOutcome("not claimed")
    email = CommentEmail.objects.select_related("user").get(pk=email_id)
    rows = CommentEmail.objects.filter(pk=email_id)
    attempts = email.attempts + 1
    try:
        message = message_for(email)
        if message is None:
            rows.update(status=Status.SKIPPED, updated_at=timezone.now())
            return SendOutcome(Status.SKIPPED)
        message.send()
    except Exception as error:
        logger.warning("Comment email %s to %s failed (attempt %s): %s", email_id, email.user.email, attempts, error)
        failed_at = timezone.now()
        status = Status.FAILED if attempts < MAX_ATTEMPTS else Status.ABANDONED
        rows.update(status=status, attempts=attempts, last_error=str(error)[:300], updated_at=failed_at)
        return SendOutcome(status, failed_at + retry_delay(attempts) if status == Status.FAILED else None)
    sent_at = timezone.now()
    rows.update(status=Status.SENT, attempts=attempts, last_error="", sent_at=sent_at, updated_at=sent_at)
    return SendOutcome(Status.SENT)
