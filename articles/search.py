"""Search over columns and articles: which match, in what order, and the snippets shown.

Each article has two search documents (articles/segmenting.py makes them, on save): a public one
(title, tags, preview) and a full one (title, tags, whole text). A reader matches the full
document only of articles they may read in full, and the public one of the rest; a snippet
comes from the full text only where `can_read_in_full` says so. So a word that appears only in
the paid part finds nothing for someone who may not read it, not even through the ranking.

PostgreSQL ranks with ts_rank over weighted tsvectors, SQLite with FTS5's bm25, and a SQLite
without FTS5 falls back to LIKE over the same tokens (slower, ranked by title and date only).
"""

import html
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Case, Exists, F, FloatField, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from articles import search_index
from articles.access import can_read_in_full, is_editor, readable_column_ids
from articles.markdown import excerpt, html_to_text
from articles.models import SEARCH_FIELDS, Article, Author, Column
from articles.segmenting import MAX_QUERY_CHARS, is_too_short, normalise, query_terms

MAX_COLUMN_RESULTS = 5
# On PostgreSQL the results are the best of the newest this many matches (see postgres_matches).
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
    return Q(access=Article.Access.FREE) | Q(column__is_free=True) | Q(column_id__in=readable_column_ids(user))


def search_articles(*, user, terms: list[str], column: Column | None = None) -> QuerySet:
    """Published articles matching every term, best first, each with `rank`; the bodies stay in the database."""
    articles = Article.objects.published().select_related("column").defer("body", "body_html", *SEARCH_FIELDS)
    if column is not None:
        articles = articles.filter(column=column)
    readable = readable_condition(user)
    if connection.vendor == "postgresql":
        articles = postgres_matches(articles, terms, readable)
    elif connection.vendor == "sqlite" and search_index.fts5_available():
        articles = fts5_matches(articles, terms, readable)
    else:
        articles = like_matches(articles, terms, readable)
    # The text a snippet may come from leaves the database only for articles the reader may read in full.
    articles = articles.annotate(full_html=F("body_html") if readable is None else Case(When(readable, then=F("body_html")), default=Value(""), output_field=TextField()))
    return articles.order_by("-rank", "-published_at", "-pk")


def by_access(readable: Q | None, full, public):
    """The full-text variant of a condition or rank where the reader may read the article, else the public one."""
    if readable is None:
        return full
    return Case(When(readable, then=full), default=public)


def postgres_matches(articles: QuerySet, terms: list[str], readable: Q | None) -> QuerySet:
    """Matches ranked by ts_rank, among the newest RANK_WINDOW of them.

    A common word matches half the articles; ranking (and counting) all of them reads every
    matching tsvector out of TOAST storage, hundreds of milliseconds at 20,000 articles. Taking
    the newest matches first is an index walk that stops early, so the cost no longer grows with
    the number of matches, and the ranking orders a bounded set."""
    query = SearchQuery(" ".join(terms), config="simple", search_type="plain")
    articles = articles.alias(
        public_vector=RawSQL(f'"articles_article"."{search_index.PUBLIC_VECTOR}"', [], output_field=SearchVectorField()),
        full_vector=RawSQL(f'"articles_article"."{search_index.FULL_VECTOR}"', [], output_field=SearchVectorField()),
    )
    full_rank = SearchRank(F("full_vector"), query, normalization=Value(1))
    if readable is None:
        matches, rank = articles.filter(full_vector=query), full_rank
    else:
        public_rank = SearchRank(F("public_vector"), query, normalization=Value(1))
        # The first filter alone lets PostgreSQL combine both GIN indexes; the second applies the access rule.
        matches = articles.filter(Q(public_vector=query) | Q(full_vector=query)).filter(
            Q(public_vector=query) | (readable & Q(full_vector=query))
        )
        rank = by_access(readable, full_rank, public_rank)
    # A query of its own: the vector columns are raw SQL naming the outer table, which a subquery
    # would silently correlate with.
    newest = list(matches.order_by("-published_at", "-pk").values_list("pk", flat=True)[:RANK_WINDOW])
    return articles.filter(pk__in=newest).annotate(rank=rank)


PUBLIC_COLUMNS = ("search_title", "search_tags", "search_preview")
FULL_COLUMNS = ("search_title", "search_tags", "search_body")
# bm25 weights in the FTS table's column order: title, tags, preview, body.
PUBLIC_WEIGHTS = "10.0, 4.0, 1.0, 0.0"
FULL_WEIGHTS = "10.0, 4.0, 0.0, 1.0"


def fts5_expression(terms: list[str], columns: tuple[str, ...]) -> str:
    phrases = " ".join('"{}"'.format(term.replace('"', '""')) for term in terms)
    return "{%s} : (%s)" % (" ".join(columns), phrases)


def fts5_matches(articles: QuerySet, terms: list[str], readable: Q | None) -> QuerySet:
    table = search_index.FTS_TABLE

    def matching(expression):
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [expression]))

    def rank(expression, weights):
        # bm25 is lower for better matches; negated so that every backend sorts by -rank.
        return RawSQL(
            f"(SELECT -bm25({table}, {weights}) FROM {table} WHERE {table} MATCH %s AND {table}.rowid = articles_article.id)",
            [expression],
            output_field=FloatField(),
        )

    public, full = fts5_expression(terms, PUBLIC_COLUMNS), fts5_expression(terms, FULL_COLUMNS)
    if readable is None:
        return articles.filter(matching(full)).annotate(rank=rank(full, FULL_WEIGHTS))
    return articles.filter(matching(public) | (readable & matching(full))).annotate(
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
    """Published columns whose title, tagline, introduction or authors contain every term; few, so no index."""
    if not terms:
        return []

    def containing(term):
        by_author = Exists(Author.objects.filter(columns=OuterRef("pk"), display_name__icontains=term))
        return Q(title__icontains=term) | Q(tagline__icontains=term) | Q(intro__icontains=term) | Q(by_author)

    title_match = reduce(and_, (Q(title__icontains=term) for term in terms))
    columns = (
        Column.objects.published()
        .filter(reduce(and_, (containing(term) for term in terms)))
        .annotate(title_match=Case(When(title_match, then=Value(1)), default=Value(0)))
        .prefetch_related("authors")
        .order_by("-title_match", F("last_published_at").desc(nulls_last=True), "pk")
    )
    return list(columns[:limit])


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
            whole_word = not latin or (
                (start == 0 or folded[start - 1] not in LATIN_CHAR) and (end == len(folded) or folded[end] not in LATIN_CHAR)
            )
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
