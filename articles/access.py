"""The one answer to "may this person read this article in full?". Every page, feed, search result
and email that shows article text asks `can_read_in_full`; nothing else decides it."""

from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef

from articles.models import Article, Column
from members.selectors import active_memberships_of, member_column_ids
from portal.compiled import CompiledQuery

AUTHORED_CACHE_ATTR = "_authored_column_ids"


def is_editor(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff


def authored_columns(user):
    """`user` may be a user or a user's primary key."""
    return Column.objects.filter(authors__user=user)


AUTHORED_COLUMN_IDS = CompiledQuery(lambda *, user_pk: authored_columns(user_pk).order_by().values_list("pk"), user_pk=1)


def authored_column_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, AUTHORED_CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(pk for (pk,) in AUTHORED_COLUMN_IDS.rows(user_pk=user.pk))
        setattr(user, AUTHORED_CACHE_ATTR, cached)
    return cached


def readable_column_ids(user) -> frozenset[int]:
    """Columns whose members-only articles this user may read: memberships and authorship."""
    return member_column_ids(user) | authored_column_ids(user)


@dataclass(frozen=True)
class ReaderAccess:
    """Whether one signed-in reader is a member or an author of one article's column, answered in
    the query that loaded the article (see `access_annotations`), by the same rules as
    `readable_column_ids`."""

    user_pk: int
    may_read: bool


def access_annotations(user, at=None) -> dict:
    """Annotations for an Article queryset that answer `readable_column_ids` for the article's
    column within the same query: a signed-in article page needs one query, not three.
    `user` may be a user or a user's primary key."""
    # One OR: PostgreSQL stops at a membership and looks for authorship only without one (a
    # member's page is most of the signed-in pages; the authorship join is most of the query).
    member = Exists(active_memberships_of(user, at).filter(column_id=OuterRef("column_id")))
    author = Exists(authored_columns(user).filter(pk=OuterRef("column_id")))
    return {"reader_may_read": ExpressionWrapper(member | author, output_field=BooleanField())}


def attach_reader_access(user, article: Article) -> Article:
    article.reader_access = ReaderAccess(user.pk, bool(article.reader_may_read))
    return article


def can_see(user, article: Article) -> bool:
    """Whether the article exists for this user at all: published, or an editor looking at a draft."""
    return article.is_visible or is_editor(user)


def can_read_in_full(user, article: Article) -> bool:
    if not can_see(user, article):
        return False
    if article.is_free or article.column.is_free or is_editor(user):
        return True
    known = getattr(article, "reader_access", None)
    if known is not None and user.is_authenticated and known.user_pk == user.pk:
        return known.may_read
    return article.column_id in readable_column_ids(user)


def can_read_column(user, column: Column) -> bool:
    """Whether every article of the column opens in full for this user."""
    return column.is_free or is_editor(user) or column.pk in readable_column_ids(user)
