"""Search on PostgreSQL: weighted tsvectors (articles/search_index.py), GIN indexes, ts_rank.

A common word matches half the articles; ranking (and counting) all of them reads every matching
tsvector out of TOAST storage, hundreds of milliseconds at 20,000 articles. So the results are the
best of the newest RANK_WINDOW matches, found from the GIN indexes alone (gin_matches_only), and
only those are ranked; their number is the count (the page says "300+")."""

import contextlib
from datetime import timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import Expression, RawSQL
from django.utils import timezone

from articles import search_index
from articles.models import Article, Author, Column
from articles.search.query import MAX_COLUMN_RESULTS, by_access, columns_in_search_order, full_text_filter, with_full_html

# The results are the best of the newest this many matches (see PostgresMatches).
RANK_WINDOW = 300


class StoredVector(Expression):
    """A tsvector column the model does not declare (SQLite has none, articles/search_index.py),
    named through the alias its query gives the table, so that it stays right in a subquery
    (raw SQL naming the table there would silently correlate with the outer query, one
    sub-search per outer row)."""

    output_field = SearchVectorField()

    def __init__(self, column: str):
        super().__init__()
        self.column = column

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(self.column)}", []


def plain_query(terms: list[str]) -> SearchQuery:
    """Every term, as tokens of the 'simple' configuration (the documents are segmented already)."""
    return SearchQuery(" ".join(terms), config="simple", search_type="plain")


PLANNER_SETTINGS = {"enable_seqscan": "off", "max_parallel_workers_per_gather": "0"}
# Set on the connection while its planner settings are changed, so that blocks within blocks share them.
GIN_ONLY_ATTR = "search_gin_matches_only"


@contextlib.contextmanager
def gin_matches_only():
    """PostgreSQL finds the matches within from the GIN indexes, never by reading every row (or
    rows in date order) and testing each one's tsvector: that reads the vector out of TOAST
    storage for every row it passes, about 10 µs each, and the planner, which does not count it,
    takes that path for any word it believes common (300 ms for a word in three quarters of
    20,000 articles, against 25 ms from the index). Parallel workers cost more to start than such
    a query takes. One round trip sets the planner settings for the connection and one puts back
    what they were; blocks within blocks (a search page's articles and columns) share them."""
    if connection.vendor != "postgresql" or getattr(connection, GIN_ONLY_ATTR, False):
        yield
        return
    names = list(PLANNER_SETTINGS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"current_setting('{name}')" for name in names) + ", " + ", ".join(f"set_config('{name}', %s, false)" for name in names),
            [PLANNER_SETTINGS[name] for name in names],
        )
        before = cursor.fetchone()[: len(names)]
    setattr(connection, GIN_ONLY_ATTR, True)
    try:
        yield
    finally:
        setattr(connection, GIN_ONLY_ATTR, False)
        restore_planner_settings(dict(zip(names, before, strict=True)))


def restore_planner_settings(settings_before: dict[str, str]) -> None:
    """Put the settings back, unless the connection cannot take a statement: in a failed
    transaction the rollback undoes them, and a broken connection is replaced anyway."""
    from psycopg import pq

    raw = connection.connection
    if raw is None or raw.closed or raw.broken or raw.info.transaction_status == pq.TransactionStatus.INERROR:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"set_config('{name}', %s, false)" for name in settings_before), list(settings_before.values()))


def newest_matches(query: SearchQuery, *, readable: Q | None, column: Column | None, now) -> QuerySet:
    """The newest RANK_WINDOW published articles matching the query, as (primary key, a sort key).
    Two disjoint parts, each served by its own GIN index: the full document of the articles the
    reader may read in full, the public one of the others (never free, so the smaller partial
    index of members-only articles holds them)."""
    articles = Article.objects.published_by_subquery(at=now).order_by()
    if column is not None:
        articles = articles.filter(column_id=column.pk)
    articles = articles.alias(
        public_vector=StoredVector(search_index.PUBLIC_VECTOR),
        full_vector=StoredVector(search_index.FULL_VECTOR),
    )
    if readable is None:
        parts = [articles.filter(full_vector=query)]
    else:
        parts = [articles.filter(readable, full_vector=query), articles.filter(~readable, public_vector=query)]
    # Sorted on an expression no index provides, so that the planner cannot walk the articles in
    # date order testing each one's tsvector (see gin_matches_only).
    newest_first = ExpressionWrapper(F("published_at") + Value(timedelta(0)), output_field=DateTimeField())
    parts = [part.annotate(newest_first=newest_first).values_list("pk", "newest_first") for part in parts]
    walk = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return walk.order_by("-newest_first", "-pk")[:RANK_WINDOW]


def ranked_matches(query: SearchQuery, *, readable: Q | None, column: Column | None) -> QuerySet:
    """(primary key, rank) of the newest matches, best first, then newest first, in one statement.
    Each is ranked by the document it matched (`readable` is the condition that split the window),
    and no other article's vector is read. The window cannot be an `__in` subquery as it is: a
    union sorts only by a column it selects, so it has two. Its SQL and parameters
    (sql_with_params) go into RawSQL, which reads its primary keys alone."""
    window = newest_matches(query, readable=readable, column=column, now=timezone.now())
    window_sql, window_params = window.query.sql_with_params()
    rank = by_access(
        readable,
        SearchRank(StoredVector(search_index.FULL_VECTOR), query, normalization=1),
        SearchRank(StoredVector(search_index.PUBLIC_VECTOR), query, normalization=1),
    )
    return (
        Article.objects.filter(pk__in=RawSQL(f"SELECT walk.pk FROM ({window_sql}) AS walk", window_params))
        .annotate(rank=rank)
        .order_by("-rank", "-published_at", "-pk")
        .values_list("pk", "rank")
    )


class PostgresMatches:
    """Matches ranked by ts_rank among the newest RANK_WINDOW of them; what a Paginator needs.
    A page then loads only its own articles, with their columns."""

    def __init__(self, terms: list[str], *, user, column: Column | None = None):
        self.column = column
        self.query = plain_query(terms)
        self.readable = full_text_filter(user)
        self._ranked: list[tuple[int, float]] | None = None

    def ranked(self) -> list[tuple[int, float]]:
        """(primary key, rank) of the newest RANK_WINDOW matches, best first, then newest first."""
        if self._ranked is None:
            with gin_matches_only():
                self._ranked = list(ranked_matches(self.query, readable=self.readable, column=self.column))
        return self._ranked

    def count(self) -> int:
        return len(self.ranked())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Article]:
        ranks = dict(self.ranked()[window])
        if not ranks:
            return []
        articles = Article.objects.published().filter(pk__in=list(ranks)).select_related("column").only(*PAGE_FIELDS).order_by()
        page = {article.pk: article for article in with_full_html(articles, self.readable)}
        for pk, article in page.items():
            article.rank = ranks[pk]
        return [page[pk] for pk in ranks if pk in page]  # one unpublished meanwhile is left out


# What a search result shows of its article and column (articles/search.html, attach_snippets);
# any other field would be loaded by a query of its own.
PAGE_FIELDS = ("title", "access", "status", "published_at", "preview_html", "column", "column__title", "column__slug", "column__status", "column__is_free")


def text_matches(terms: list[str]) -> QuerySet:
    """Every article, drafts included, whose whole text, title or tags contain every term."""
    return Article.objects.alias(full_vector=StoredVector(search_index.FULL_VECTOR)).filter(full_vector=plain_query(terms))


def matching_columns(terms: list[str], *, limit: int = MAX_COLUMN_RESULTS) -> list[Column]:
    """search_columns on PostgreSQL: the fields the results show and the authors' names, in one query."""
    authors = Author.objects.filter(columns=OuterRef("pk")).order_by("display_name").values("display_name")
    columns = Column.objects.published().alias(vector=StoredVector(search_index.COLUMN_VECTOR)).filter(vector=plain_query(terms))
    columns = columns_in_search_order(columns, terms).annotate(author_names=ArraySubquery(authors)).only("title", "slug", "tagline")
    with gin_matches_only():
        return list(columns[:limit])
