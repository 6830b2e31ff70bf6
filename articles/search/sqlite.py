"""Search without PostgreSQL: SQLite's FTS5 ranked by bm25 (articles/search_index.py keeps its
table in step), and, where SQLite has no FTS5, LIKE over the same stored tokens (slower, ranked by
title and date only). The documents' tokens are folded as the query's terms are, so a plain
substring test finds what the index would."""

from functools import reduce
from operator import and_, or_

from django.db import connection
from django.db.models import Case, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from articles import search_index
from articles.models import SEARCH_FIELDS, Article, Column
from articles.search.query import MAX_COLUMN_RESULTS, by_access, columns_in_search_order, full_text_filter, with_full_html

PUBLIC_COLUMNS = ("search_title", "search_tags", "search_preview")
FULL_COLUMNS = ("search_title", "search_tags", "search_body")
# bm25 weights in the FTS table's column order: title, tags, preview, body.
PUBLIC_WEIGHTS = "10.0, 4.0, 1.0, 0.0"
FULL_WEIGHTS = "10.0, 4.0, 0.0, 1.0"


def fts5_in_use() -> bool:
    return connection.vendor == "sqlite" and search_index.fts5_available()


def search_articles(*, user, terms: list[str], column: Column | None = None) -> QuerySet:
    """Published articles matching every term, best first, each with `rank` and `full_html`."""
    articles = Article.objects.published().select_related("column").defer("body", "body_html", *SEARCH_FIELDS)
    if column is not None:
        articles = articles.filter(column=column)
    readable = full_text_filter(user)
    articles = fts5_matches(articles, terms, readable) if fts5_in_use() else like_matches(articles, terms, readable)
    return with_full_html(articles, readable).order_by("-rank", "-published_at", "-pk")


def text_matches(terms: list[str]) -> QuerySet:
    """Every article, drafts included, whose whole text, title or tags contain every term."""
    if fts5_in_use():
        return Article.objects.filter(fts5_matching(fts5_expression(terms, FULL_COLUMNS)))
    return like_matches(Article.objects.all(), terms, None)


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


def matching_columns(terms: list[str], *, limit: int = MAX_COLUMN_RESULTS) -> list[Column]:
    """search_columns without PostgreSQL: few columns, so no index, a substring test on each
    column's search document."""
    columns = Column.objects.published().filter(reduce(and_, (Q(search_document__contains=term) for term in terms)))
    columns = list(columns_in_search_order(columns, terms).defer("search_document", "intro", "intro_html").prefetch_related("authors")[:limit])
    for column in columns:
        column.author_names = [author.display_name for author in column.authors.all()]
    return columns
