"""The one answer to "may this person read this article in full?". Every page, feed, search result
and email that shows article text asks `can_read_in_full`; nothing else decides it."""

from articles.models import Article, Column
from members.selectors import member_column_ids

AUTHORED_CACHE_ATTR = "_authored_column_ids"


def is_editor(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff


def authored_column_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, AUTHORED_CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(Column.objects.filter(authors__user=user).values_list("pk", flat=True))
        setattr(user, AUTHORED_CACHE_ATTR, cached)
    return cached


def readable_column_ids(user) -> frozenset[int]:
    """Columns whose members-only articles this user may read: memberships and authorship."""
    return member_column_ids(user) | authored_column_ids(user)


def can_see(user, article: Article) -> bool:
    """Whether the article exists for this user at all: published, or an editor looking at a draft."""
    return article.is_visible or is_editor(user)


def can_read_in_full(user, article: Article) -> bool:
    if not can_see(user, article):
        return False
    if article.is_free or article.column.is_free or is_editor(user):
        return True
    return article.column_id in readable_column_ids(user)


def can_read_column(user, column: Column) -> bool:
    """Whether every article of the column opens in full for this user."""
    return column.is_free or is_editor(user) or column.pk in readable_column_ids(user)
