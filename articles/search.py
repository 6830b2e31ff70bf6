"""Search over columns and articles: which match, in what order, and the snippets shown.

Each article has two search documents (articles/segmenting.py makes them, on save): a public one
(title, tags, preview) and a full one (title, tags, whole text). A reader matches the full
document only of articles they may read in full, and the public one of the rest; a snippet
comes from the full text only where `can_read_in_full` says so. So a word that appears only in
the paid part finds nothing for someone who may not read it, not even through the ranking.

PostgreSQL ranks with ts_rank over weighted tsvectors, SQLite with FTS5's bm25, and a SQLite
without FTS5 falls back to LIKE over the same tokens (slower, ranked by title and date only).
Columns are found by their own search document (title, tagline, introduction, authors), and
editors' admin search uses the articles' full documents through the same indexes.
"""

import contextlib
import functools
import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, FloatField, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles import search_index
from articles.access import can_read_in_full, is_editor, readable_column_ids
from articles.markdown import excerpt, html_to_text
from articles.models import SEARCH_FIELDS, Article, Author, Column
from articles.segmenting import MAX_QUERY_CHARS, is_too_short, normalise, query_terms
from articles.selectors import partial_instance
from portal.compiled import CompiledQuery

MAX_COLUMN_RESULTS = 5
# On PostgreSQL the results are the best of the newest this many matches (see PostgresMatches).
RANK_WINDOW = 300
SNIPPET_CHARS = 120
# A snippet is looked for in this much text at most, so that a huge article costs no more than a normal one.
SNIPPET_SCAN_CHARS = 50_000
MAX_MARKED_SPANS = 200
LATIN_CHAR = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what the reader typed, bounded, for the search box
    terms: list[str]  # what every result must contain

    @property
    def empty(self) -> bool:
        return not self.text

    @property
    def too_short(self) -> bool:
        return bool(self.text) and is_too_short(self.text)

    @property
    def searchable(self) -> bool:
        """Worth asking the database: not too short, and something left to look for."""
        return bool(self.terms) and not self.too_short


def parse_query(raw: str) -> ParsedQuery:
    text = " ".join(raw[:MAX_QUERY_CHARS].split())
    return ParsedQuery(text=text, terms=query_terms(text) if text else [])


# Which articles match


def readable_condition(user) -> Q | None:
    """The articles this user may read in full, as a filter; None: every article (an editor).
    Mirrors articles.access.can_read_in_full for published articles."""
    if is_editor(user):
        return None
    return readable_in(readable_column_ids(user))


def readable_in(column_ids, *, as_array: bool = False) -> Q:
    """Free articles, the articles of free columns, and those of these columns (the reader's
    memberships and authorship). Free columns come as a subquery rather than a join, so that a
    filter on the articles alone can use it; `as_array` passes the ids as one parameter."""
    free_columns = Column.objects.filter(is_free=True).values("pk")
    in_columns = Q(column_id__any=sorted(column_ids)) if as_array else Q(column_id__in=column_ids)
    return Q(access=Article.Access.FREE) | Q(column_id__in=free_columns) | in_columns


def search_articles(*, user, terms: list[str], column: Column | None = None):
    """Published articles matching every term, best first, each with `rank`, for a Paginator to
    count and slice; the bodies stay in the database."""
    if connection.vendor == "postgresql":
        return PostgresMatches(terms, user=user, column=column)
    articles = Article.objects.published().select_related("column").defer("body", "body_html", *SEARCH_FIELDS)
    if column is not None:
        articles = articles.filter(column=column)
    readable = readable_condition(user)
    if connection.vendor == "sqlite" and search_index.fts5_available():
        articles = fts5_matches(articles, terms, readable)
    else:
        articles = like_matches(articles, terms, readable)
    return with_full_html(articles, readable).order_by("-rank", "-published_at", "-pk")


def with_full_html(articles: QuerySet, readable: Q | None) -> QuerySet:
    """The text a snippet may come from leaves the database only for articles the reader may read in full."""
    full_html = F("body_html") if readable is None else Case(When(readable, then=F("body_html")), default=Value(""), output_field=TextField())
    return articles.annotate(full_html=full_html)


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
GIN_ONLY_ATTR = "_gin_matches_only"


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


def by_access(readable: Q | None, full, public):
    """The full-text variant of a condition or rank where the reader may read the article, else the public one."""
    if readable is None:
        return full
    return Case(When(readable, then=full), default=public)


def newest_matches(*, window: int, terms: str, now, readable: list[int] | None = None, column_id: int | None = None) -> QuerySet:
    """The newest `window` articles matching the terms: primary key, date, which document
    matched (1 the full one, 0 the public one) and the query, for PostgresMatches. `readable`: the
    columns whose members-only articles the reader may read in full; None for an editor."""
    articles = Article.objects.published_by_subquery(at=now).order_by()
    if column_id is not None:
        articles = articles.filter(column_id=column_id)
    articles = articles.alias(
        public_vector=StoredVector(search_index.PUBLIC_VECTOR),
        full_vector=StoredVector(search_index.FULL_VECTOR),
    )
    query = SearchQuery(terms, config="simple", search_type="plain")
    if readable is None:
        parts = [articles.filter(full_vector=query).annotate(part=Value(1))]
    else:
        may_read = readable_in(readable, as_array=True)
        parts = [
            articles.filter(may_read, full_vector=query).annotate(part=Value(1)),
            articles.filter(~may_read, public_vector=query).annotate(part=Value(0)),
        ]
    # Sorted on an expression no index provides, so that the planner cannot walk the articles in
    # date order testing each one's tsvector (see gin_matches_only).
    newest_first = ExpressionWrapper(F("published_at") + Value(timedelta(0)), output_field=DateTimeField())
    parts = [part.annotate(newest_first=newest_first, query=query).values_list("pk", "newest_first", "part", "query") for part in parts]
    walk = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return walk.order_by("-newest_first", "-pk")[:window]


# The newest matches, each ranked by the document it matched. No rank is computed but for these.
RANKED_NEWEST = (
    "SELECT walk.pk, walk.newest_first, CASE walk.part "
    f"WHEN 1 THEN ts_rank(article.{search_index.FULL_VECTOR}, walk.query, 1) "
    f"ELSE ts_rank(article.{search_index.PUBLIC_VECTOR}, walk.query, 1) END "
    "FROM ({}) AS walk JOIN articles_article AS article ON article.id = walk.pk"
)
EXAMPLE_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)


@functools.cache
def ranked_newest_matches(*, editor: bool, in_column: bool, window: int) -> CompiledQuery:
    """RANKED_NEWEST compiled once per kind of reader and scope: building and compiling the
    querysets cost more Python than the whole rest of a search page. Planned every time, since
    the best plan depends on how common the words are."""
    examples = {"terms": "example", "now": EXAMPLE_MOMENT}
    if not editor:
        examples["readable"] = [1]
    if in_column:
        examples["column_id"] = 1
    return CompiledQuery(functools.partial(newest_matches, window=window), wrap=RANKED_NEWEST, prepare=False, **examples)


class PostgresMatches:
    """Matches ranked by ts_rank, among the newest RANK_WINDOW of them; what a Paginator needs.

    A common word matches half the articles; ranking (and counting) all of them reads every
    matching tsvector out of TOAST storage, hundreds of milliseconds at 20,000 articles. So one
    precompiled statement finds the newest RANK_WINDOW matches from the GIN indexes alone
    (gin_matches_only), in two disjoint parts: the full document of the articles the reader may
    read in full, the public one of the others (members-only articles, whose index holds them
    alone), and ranks just those; their number is the count. A page then loads only its own
    articles, with their columns."""

    def __init__(self, terms: list[str], *, user, column: Column | None = None):
        self.column = column
        self.editor = is_editor(user)
        self.readable_ids = None if self.editor else sorted(readable_column_ids(user))
        self.query_text = " ".join(terms)
        self._ranked: list[tuple[int, float]] | None = None

    def ranked(self) -> list[tuple[int, float]]:
        """(primary key, rank) of the newest RANK_WINDOW matches, best first."""
        if self._ranked is None:
            values = {"terms": self.query_text, "now": timezone.now()}
            if not self.editor:
                values["readable"] = self.readable_ids
            if self.column is not None:
                values["column_id"] = self.column.pk
            with gin_matches_only():
                compiled = ranked_newest_matches(editor=self.editor, in_column=self.column is not None, window=RANK_WINDOW)
                rows = compiled.rows(**values)
            rows.sort(key=lambda row: (row[2], row[1], row[0]), reverse=True)
            self._ranked = [(pk, rank) for pk, _, rank in rows]
        return self._ranked

    def count(self) -> int:
        return len(self.ranked())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Article]:
        ranks = dict(self.ranked()[window])
        if not ranks:
            return []
        values = {"ids": list(ranks), "now": timezone.now()}
        if not self.editor:
            values["readable"] = self.readable_ids
        page = {}
        for row in page_of_matches(editor=self.editor).rows(**values):
            values = dict(zip(PAGE_FIELDS, row, strict=True))
            column = partial_instance(Column, **{name.removeprefix("column__"): values.pop(name) for name in PAGE_COLUMN_FIELDS})
            full_html = values.pop("full_html")
            article = partial_instance(Article, **values)
            article.column, article.full_html, article.rank = column, full_html, ranks[article.pk]
            page[article.pk] = article
        return [page[pk] for pk in ranks if pk in page]  # one unpublished meanwhile is left out


# What a search result shows of its article (articles/search.html, attach_snippets); any other
# field would be loaded by a query of its own.
PAGE_ARTICLE_FIELDS = ("id", "column_id", "title", "access", "status", "published_at", "preview_html")
PAGE_COLUMN_FIELDS = ("column__id", "column__title", "column__slug", "column__status", "column__is_free")
PAGE_FIELDS = (*PAGE_ARTICLE_FIELDS, *PAGE_COLUMN_FIELDS, "full_html")


@functools.cache
def page_of_matches(*, editor: bool) -> CompiledQuery:
    """A page of PostgresMatches: the fields it shows, and the text a snippet may come from, which
    leaves the database only for the articles the reader may read in full."""

    def build(*, ids: list[int], now, readable: list[int] | None = None):
        articles = Article.objects.published_by_subquery(at=now).filter(pk__any=ids).order_by()
        return with_full_html(articles, None if readable is None else readable_in(readable, as_array=True)).values_list(*PAGE_FIELDS)

    examples = {"ids": [1], "now": EXAMPLE_MOMENT, **({} if editor else {"readable": [1]})}
    return CompiledQuery(build, **examples)


def text_matches(terms: list[str]) -> QuerySet:
    """The primary keys of every article, drafts included, whose whole text or title or tags
    contain every term: for editors (admin search), through the same index as the readers' search."""
    if connection.vendor == "postgresql":
        matches = Article.objects.alias(full_vector=StoredVector(search_index.FULL_VECTOR)).filter(full_vector=plain_query(terms))
    elif connection.vendor == "sqlite" and search_index.fts5_available():
        matches = Article.objects.filter(fts5_matching(fts5_expression(terms, FULL_COLUMNS)))
    else:
        matches = like_matches(Article.objects.all(), terms, None)
    return matches.order_by().values("pk")


PUBLIC_COLUMNS = ("search_title", "search_tags", "search_preview")
FULL_COLUMNS = ("search_title", "search_tags", "search_body")
# bm25 weights in the FTS table's column order: title, tags, preview, body.
PUBLIC_WEIGHTS = "10.0, 4.0, 1.0, 0.0"
FULL_WEIGHTS = "10.0, 4.0, 0.0, 1.0"


def fts5_expression(terms: list[str], columns: tuple[str, ...]) -> str:
    phrases = " ".join('"{}"'.format(term.replace('"', '""')) for term in terms)
    return "{%s} : (%s)" % (" ".join(columns), phrases)


def fts5_matching(expression: str) -> Q:
    table = search_index.FTS_TABLE
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [expression]))


def fts5_matches(articles: QuerySet, terms: list[str], readable: Q | None) -> QuerySet:
    table = search_index.FTS_TABLE

    def rank(expression, weights):
        # bm25 is lower for better matches; negated so that every backend sorts by -rank.
        return RawSQL(
            f"(SELECT -bm25({table}, {weights}) FROM {table} WHERE {table} MATCH %s AND {table}.rowid = articles_article.id)",
            [expression],
            output_field=FloatField(),
        )

    public, full = fts5_expression(terms, PUBLIC_COLUMNS), fts5_expression(terms, FULL_COLUMNS)
    if readable is None:
        return articles.filter(fts5_matching(full)).annotate(rank=rank(full, FULL_WEIGHTS))
    return articles.filter(fts5_matching(public) | (readable & fts5_matching(full))).annotate(
        rank=by_access(readable, rank(full, FULL_WEIGHTS), rank(public, PUBLIC_WEIGHTS))
    )


def like_matches(articles: QuerySet, terms: list[str], readable: Q | None) -> QuerySet:
    def containing(fields):
        return reduce(and_, (reduce(or_, (Q(**{f"{field}__contains": term}) for field in fields)) for term in terms))

    public, full = containing(PUBLIC_COLUMNS), containing(FULL_COLUMNS)
    matches = full if readable is None else public | (readable & full)
    title_match = reduce(and_, (Q(search_title__contains=term) for term in terms))
    return articles.filter(matches).annotate(rank=Case(When(title_match, then=Value(1.0)), default=Value(0.0)))


def search_columns(terms: list[str], *, limit: int = MAX_COLUMN_RESULTS) -> list[Column]:
    """Published columns whose title, tagline, introduction or authors' names contain every term
    (their search document, see Column.render_search_document), those with every term in the
    title first, then the most recently updated; each with `author_names`."""
    if not terms:
        return []
    if connection.vendor == "postgresql":
        examples = {f"title_term_{index}": term for index, term in enumerate(terms)}
        with gin_matches_only():
            rows = postgres_matching_columns(len(terms), limit).rows(terms=" ".join(terms), **examples)
        columns = []
        for column_id, title, slug, tagline, author_names in rows:
            column = partial_instance(Column, id=column_id, title=title, slug=slug, tagline=tagline)
            column.author_names = author_names
            columns.append(column)
        return columns
    # The document's tokens are folded as the terms are; few columns, so no index.
    columns = Column.objects.published().filter(reduce(and_, (Q(search_document__contains=term) for term in terms)))
    columns = list(columns_in_search_order(columns, terms).defer("search_document", "intro", "intro_html").prefetch_related("authors")[:limit])
    for column in columns:
        column.author_names = [author.display_name for author in column.authors.all()]
    return columns


def columns_in_search_order(columns: QuerySet, terms: list[str]) -> QuerySet:
    """Every term in the title first (compared in capitals, each term passed as it is)."""
    title_match = reduce(and_, (Q(GreaterThan(StrIndex(Upper("title"), Upper(Value(term))), 0)) for term in terms))
    return columns.annotate(title_match=Case(When(title_match, then=Value(1)), default=Value(0))).order_by(
        "-title_match", F("last_published_at").desc(nulls_last=True), "pk"
    )


@functools.cache
def postgres_matching_columns(term_count: int, limit: int) -> CompiledQuery:
    """search_columns on PostgreSQL for this many terms, compiled once: the columns' fields the
    results show and their authors' names, in one statement."""

    def build(*, terms: str, **title_terms):
        authors = Author.objects.filter(columns=OuterRef("pk")).order_by("display_name").values("display_name")
        columns = (
            Column.objects.published()
            .alias(vector=StoredVector(search_index.COLUMN_VECTOR))
            .filter(vector=SearchQuery(terms, config="simple", search_type="plain"))
        )
        columns = columns_in_search_order(columns, list(title_terms.values())).annotate(author_names=ArraySubquery(authors))
        return columns.values_list("pk", "title", "slug", "tagline", "author_names")[:limit]

    return CompiledQuery(build, terms="example", **{f"title_term_{index}": "example" for index in range(term_count)})


# What a result shows


def attach_snippets(user, articles, terms: list[str]) -> list[Article]:
    """Set `title_html`, `snippet` and `reads_in_full` on each result of search_articles. A snippet
    comes from the full text only where can_read_in_full agrees; otherwise from the preview."""
    articles = list(articles)
    for article in articles:
        article.reads_in_full = can_read_in_full(user, article)
        text = html_to_text(article.full_html if article.reads_in_full else article.preview_html)
        article.title_html = highlight(article.title, terms)
        article.snippet = snippet(text, terms)
    return articles


def match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the terms occur in the text, as non-overlapping (start, end) positions, longest term first."""
    folded = normalise(text)
    if len(folded) == len(text):
        origin = None
    else:  # NFKC or case folding changed lengths (ligatures, ß): map back character by character
        pieces = [normalise(char) for char in text]
        folded = "".join(pieces)
        origin = [index for index, piece in enumerate(pieces) for _ in piece]
    taken = [False] * len(folded)
    spans = []
    for term in sorted(set(terms), key=len, reverse=True):
        latin = term[0] in LATIN_CHAR
        start = folded.find(term)
        while start != -1 and len(spans) < MAX_MARKED_SPANS:
            end = start + len(term)
            whole_word = not latin or ((start == 0 or folded[start - 1] not in LATIN_CHAR) and (end == len(folded) or folded[end] not in LATIN_CHAR))
            if whole_word and not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                spans.append((start, end) if origin is None else (origin[start], origin[end - 1] + 1))
            start = folded.find(term, start + 1)
    return sorted(spans)


def marked(text: str, spans: list[tuple[int, int]], offset: int = 0) -> str:
    pieces, position = [], offset
    for start, end in spans:
        pieces.append(html.escape(text[position:start]))
        pieces.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    pieces.append(html.escape(text[position:]))
    return "".join(pieces)


def highlight(text: str, terms: list[str]) -> SafeString:
    """The whole text, escaped, with the terms marked."""
    return mark_safe(marked(text, match_spans(text, terms)))


def snippet(text: str, terms: list[str], *, width: int = SNIPPET_CHARS) -> SafeString:
    """About `width` characters of the text around where the terms occur most, escaped, terms marked;
    the opening of the text when they do not occur in it (a match on the title or tags)."""
    text = text[:SNIPPET_SCAN_CHARS]
    spans = match_spans(text, terms)
    if not spans:
        return mark_safe(html.escape(excerpt(text, width)))
    best = max(range(len(spans)), key=lambda index: (sum(1 for start, end in spans[index:] if end <= spans[index][0] + width), -index))
    start = max(0, spans[best][0] - width // 4)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    inside = [(max(s, start), min(e, end)) for s, e in spans if s < end and e > start]
    body = marked(text[:end], inside, offset=start)
    return mark_safe(("…" if start > 0 else "") + body + ("…" if end < len(text) else ""))
