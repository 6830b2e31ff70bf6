"""Who may read, write and moderate comments. Reading is the paywall's question (members.access);
writing adds what a comment needs besides: a signed-in reader with a verified address on a free
article, and no ban from the column's comments; moderating is for the column's authors and editors
given the permission."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import MODERATE_COMMENTS, Article, Column, Comment, CommentBan
from members.access import can_read_comments

# Comments may be edited for this long after posting.
EDIT_WINDOW = timedelta(minutes=15)
# Accounts younger than this post under the rate limit ACCOUNT_RATE_LIMITS["comment_new_account"].
NEW_ACCOUNT_AGE = timedelta(days=3)


class CommentRefused(Exception):
    """What the reader tried is not allowed; the message says why, for them."""


def author_user_ids(column: Column) -> set[int]:
    """The accounts of the column's authors (prefetch `column.authors` to make this free)."""
    return {author.user_id for author in column.authors.all() if author.user_id}


def is_moderator(user, column: Column) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff and user.has_perm(MODERATE_COMMENTS):
        return True
    return user.pk in author_user_ids(column)


def is_banned(user, column: Column) -> bool:
    return user.is_authenticated and CommentBan.objects.filter(column=column, user=user).exists()


def has_verified_email(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def refusal_to_comment(user, article: Article) -> str | None:
    """Why this reader may not comment on the article, or None when they may."""
    if not user.is_authenticated:
        return _("Sign in to comment.")
    if not can_read_comments(user, article):
        return _("Only readers who may read this article in full can comment on it.")
    if article.is_free or article.column.is_free:
        if not has_verified_email(user):
            return _("Verify your email address to comment.")
    if is_banned(user, article.column):
        return _("You can no longer comment in this column.")
    return None


def may_edit(user, comment: Comment, now=None) -> bool:
    return comment.user_id == user.pk and comment.is_shown and (now or timezone.now()) - comment.created_at <= EDIT_WINDOW


def is_new_account(user) -> bool:
    return timezone.now() - user.date_joined < NEW_ACCOUNT_AGE
