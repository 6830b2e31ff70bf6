"""Writes on comments: post, edit, delete, like, report, and the moderators' pin, hide and ban.
Each checks who may do it (articles/comments/rules.py) and raises CommentRefused with a message for
the reader when they may not; emails are queued only after the transaction commits."""

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.comments.rules import CommentRefused, is_moderator, may_edit, refusal_to_comment
from articles.models import Article, Column, Comment, CommentBan, CommentLike, CommentReport
from members.access import can_read_comments


class Moderation:
    """What a moderator may do to one comment (the moderation form's `action`)."""

    PIN = "pin"
    UNPIN = "unpin"
    HIDE = "hide"
    UNHIDE = "unhide"
    DELETE = "delete"
    BAN = "ban"
    ALL = frozenset({PIN, UNPIN, HIDE, UNHIDE, DELETE, BAN})


@transaction.atomic
def comment_post(*, user, article: Article, body: str, parent: Comment | None = None) -> Comment:
    """A new comment, or a reply: a reply to a reply joins its thread (one level of replies)."""
    refusal = refusal_to_comment(user, article)
    if refusal:
        raise CommentRefused(refusal)
    if parent is not None:
        if parent.article_id != article.pk:
            raise CommentRefused(_("That comment belongs to another article."))
        if parent.parent_id is not None:
            parent = parent.parent
        if not parent.is_shown:
            raise CommentRefused(_("That comment is no longer shown; it cannot be replied to."))
    comment = Comment.objects.create(article=article, user=user, parent=parent, body=body.strip())
    from articles.comments.tasks import comment_posted

    transaction.on_commit(partial(comment_posted, comment_id=comment.pk), robust=True)
    return comment


def comment_edit(*, user, comment: Comment, body: str) -> Comment:
    if not may_edit(user, comment):
        raise CommentRefused(_("Comments can be edited for 15 minutes after posting, by their writer only."))
    comment.body = body.strip()
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    return comment


def comment_delete(*, user, comment: Comment) -> Comment:
    """Writers delete their own comments, moderators any in their columns. The text goes; the row
    stays (without text) while replies hang on it."""
    if comment.user_id != user.pk and not is_moderator(user, comment.article.column):
        raise CommentRefused(_("You can only delete your own comments."))
    comment.deleted_at = timezone.now()
    comment.body = ""
    comment.is_pinned = False
    comment.save(update_fields=["deleted_at", "body", "body_html", "is_pinned"])
    return comment


def may_interact(user, comment: Comment) -> None:
    if not user.is_authenticated:
        raise CommentRefused(_("Sign in to comment."))
    if not can_read_comments(user, comment.article) or not comment.is_shown:
        raise CommentRefused(_("This comment is not available."))


def comment_like_toggle(*, user, comment: Comment) -> bool:
    """Like the comment, or take the like back. Returns whether the reader likes it now."""
    may_interact(user, comment)
    deleted, _rows = CommentLike.objects.filter(comment=comment, user=user).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            CommentLike.objects.create(comment=comment, user=user)
    except IntegrityError:
        pass  # a double click: liked already
    return True


def comment_report(*, user, comment: Comment, reason: str) -> CommentReport:
    """A reader's report goes to the moderators' queue in admin; a second report by the same
    reader updates their reason and puts it back in the queue."""
    may_interact(user, comment)
    if comment.user_id == user.pk:
        raise CommentRefused(_("You cannot report your own comment."))
    report, _created = CommentReport.objects.update_or_create(comment=comment, reporter=user, defaults={"reason": reason.strip(), "resolved_at": None})
    return report


def comment_moderate(*, moderator, comment: Comment, action: str, reason: str = "") -> Comment:
    column = comment.article.column
    if not is_moderator(moderator, column):
        raise CommentRefused(_("Only the column's authors and editors can moderate its comments."))
    if action not in Moderation.ALL:
        raise CommentRefused(_("Choose what to do with the comment."))
    if action == Moderation.DELETE:
        return comment_delete(user=moderator, comment=comment)
    if action == Moderation.BAN:
        comment_ban(moderator=moderator, column=column, user=comment.user, reason=reason)
        action = Moderation.HIDE
    if action in (Moderation.PIN, Moderation.UNPIN):
        if comment.parent_id is not None:
            raise CommentRefused(_("Only comments, not replies, can be pinned."))
        comment.is_pinned = action == Moderation.PIN
    else:
        comment.hidden_at = timezone.now() if action == Moderation.HIDE else None
    Comment.objects.filter(pk=comment.pk).update(is_pinned=comment.is_pinned, hidden_at=comment.hidden_at)
    return comment


def comment_ban(*, moderator, column: Column, user, reason: str = "") -> CommentBan:
    if user.pk == moderator.pk or is_moderator(user, column):
        raise CommentRefused(_("The column's authors and editors cannot be banned from its comments."))
    ban, _created = CommentBan.objects.get_or_create(column=column, user=user, defaults={"by": moderator, "reason": reason.strip()[:300]})
    return ban


def comment_unban(*, column: Column, user) -> int:
    return CommentBan.objects.filter(column=column, user=user).delete()[0]
