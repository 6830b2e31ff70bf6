"""May this person read this article in full? The one answer, and the only door from `articles`
into `members`: every page, feed, private feed, search filter and snippet, sitemap, meta tag,
email and export asks this module, and nothing else decides it.

The rule. An article opens in full for a reader when it exists for them (published, or a draft
an editor may preview) and one of these holds:

1. it is free to read, or its column is free (`FREE_ARTICLE`, `FREE_COLUMN`);
2. the reader is an editor given the permission to read everything (`READ_ALL_ARTICLES`), a
   permission granted in admin, not something every staff account has;
3. the reader is a member of its column now, or one of the column's authors (`member_or_author`).

Each part is written once and read in the three forms the outlets need: as Python on a loaded
article (`can_read_in_full`), as an SQL condition on an Article queryset (`readable_filter`, which
the search and the exports filter with), and as an annotation that answers the question in the
query that loads the article (`with_reader_access`, the article page's one query).
`tests/members_tests/test_access_matrix.py` runs the same readers and articles through all three.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from articles.models import Article, Column
from members.models import Membership
from members.selectors import active_reader_counts, membership_of, plans_by_column

__all__ = [
    "READ_ALL_ARTICLES",
    "active_reader_counts",
    "can_read_column",
    "can_read_comments",
    "can_read_in_full",
    "can_see",
    "forget_reader_columns",
    "may_preview_drafts",
    "membership_of",
    "plans_by_column",
    "readable_column_ids",
    "readable_filter",
    "reads_everything",
    "with_reader_access",
]

READ_ALL_ARTICLES = "members.read_all_articles"
# The fields that make an article free for everyone: on the article, and on its column.
FREE_ARTICLE = {"access": Article.Access.FREE}
FREE_COLUMN = {"is_free": True}
# Remembered on the user object for the rest of the request (members.services forgets it after a grant).
READABLE_COLUMNS_ATTR = "readable_column_ids_memo"
READER_ACCESS_ATTR = "reader_access"
MAY_READ_ANNOTATION = "reader_may_read"


def _matches(instance, fields: dict) -> bool:
    return all(getattr(instance, name) == value for name, value in fields.items())


def free_for_everyone(article: Article) -> bool:
    return _matches(article, FREE_ARTICLE) or _matches(article.column, FREE_COLUMN)


def free_for_everyone_q() -> Q:
    """Part 1 as SQL. Free columns come as a subquery rather than a join, so that a filter on the
    articles alone (a search's matches) can use it."""
    return Q(**FREE_ARTICLE) | Q(column_id__in=Column.objects.filter(**FREE_COLUMN).values("pk"))


def reads_everything(user) -> bool:
    """Part 2. Only staff accounts are asked, so a reader's page costs no permission query."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(READ_ALL_ARTICLES))


def member_or_author(user, *, column_field: str, at=None) -> Q:
    """Part 3 as SQL, on whichever field holds the column's id (`pk` of a Column, `column_id` of
    an Article). `user` may be a user or a user's primary key."""
    memberships = Membership.objects.active(at).filter(user=user).values("column_id")
    authorships = Column.authors.through.objects.filter(author__user=user).values("column_id")
    return Q(**{f"{column_field}__in": memberships}) | Q(**{f"{column_field}__in": authorships})


def readable_column_ids(user) -> frozenset[int]:
    """Part 3 in Python: the columns whose members-only articles this reader may read, one query,
    then remembered for the request."""
    if not user.is_authenticated:
        return frozenset()
    ids = getattr(user, READABLE_COLUMNS_ATTR, None)
    if ids is None:
        ids = frozenset(Column.objects.filter(member_or_author(user, column_field="pk")).values_list("pk", flat=True))
        setattr(user, READABLE_COLUMNS_ATTR, ids)
    return ids


def forget_reader_columns(user) -> None:
    """After a grant within the same request, the next question must see it."""
    if hasattr(user, READABLE_COLUMNS_ATTR):
        delattr(user, READABLE_COLUMNS_ATTR)


def readable_filter(user, *, at=None) -> Q:
    """The articles this user may read in full, as a filter for an Article queryset (visibility
    is the queryset's own business: `published()` and the like). Q() for an editor who reads
    everything."""
    if reads_everything(user):
        return Q()
    readable = free_for_everyone_q()
    if user.is_authenticated:
        readable |= member_or_author(user, column_field="column_id", at=at)
    return readable


@dataclass(frozen=True)
class ReaderAccess:
    """Part 3 for one article, answered in the query that loaded it (see `with_reader_access`)."""

    user_pk: int
    may_read: bool


def with_reader_access(articles: QuerySet, user) -> QuerySet:
    """Articles that carry the answer to part 3 for this reader, so a page needs one query, not
    two; `attach_reader_access` hands it to `can_read_in_full`."""
    if not user.is_authenticated:
        return articles
    condition = member_or_author(user, column_field="column_id")
    return articles.annotate(**{MAY_READ_ANNOTATION: ExpressionWrapper(condition, output_field=BooleanField())})


def attach_reader_access(user, article: Article) -> Article:
    if user.is_authenticated and hasattr(article, MAY_READ_ANNOTATION):
        setattr(article, READER_ACCESS_ATTR, ReaderAccess(user.pk, bool(getattr(article, MAY_READ_ANNOTATION))))
    return article


def may_preview_drafts(user) -> bool:
    """Editors who may change articles see drafts and scheduled articles on the reader pages."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm("articles.change_article"))


def can_see(user, article: Article) -> bool:
    """Whether the article exists for this user at all: published, or a draft an editor previews."""
    return article.is_visible or may_preview_drafts(user)


def can_read_in_full(user, article: Article) -> bool:
    if not can_see(user, article):
        return False
    if free_for_everyone(article) or reads_everything(user):
        return True
    if not user.is_authenticated:
        return False
    known = getattr(article, READER_ACCESS_ATTR, None)
    if known is not None and known.user_pk == user.pk:
        return known.may_read
    return article.column_id in readable_column_ids(user)


def can_read_column(user, column: Column) -> bool:
    """Whether every article of the column opens in full for this user."""
    return _matches(column, FREE_COLUMN) or reads_everything(user) or column.pk in readable_column_ids(user)


def can_read_comments(user, article: Article) -> bool:
    """A members-only article's comments are part of what its members read, so they follow the
    text: whoever may read the article in full reads its comments, and nobody else does."""
    return can_read_in_full(user, article)
