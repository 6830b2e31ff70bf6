"""Search over columns and articles: which match, in what order, and the snippets shown.

Each article has two search documents (articles/segmenting.py makes them, on save): a public one
(title, tags, preview) and a full one (title, tags, whole text). A reader matches the full
document only of the articles members.access.readable_filter lets them read in full, and the
public one of the rest; a snippet comes from the full text only where that same rule holds. So a
word that appears only in the paid part finds nothing for someone who may not read it, not even
through the ranking.

- `query`: the reader's query and the conditions every backend shares;
- `postgres`: ts_rank over weighted tsvectors, the best of the newest matches from GIN indexes;
- `sqlite`: FTS5's bm25, or LIKE over the same tokens where SQLite has no FTS5;
- `snippets`: the marked title and snippet of each result.

Columns are found by their own search document (title, tagline, introduction, authors), and
editors' admin search uses the articles' full documents through the same indexes.
"""

from django.db import connection
from django.db.models import QuerySet

from articles.models import Column
from articles.search import postgres, sqlite
from articles.search.postgres import RANK_WINDOW, PostgresMatches, gin_matches_only
from articles.search.query import MAX_COLUMN_RESULTS, ParsedQuery, parse_query
from articles.search.snippets import attach_snippets, highlight, snippet

__all__ = [
    "MAX_COLUMN_RESULTS",
    "RANK_WINDOW",
    "ParsedQuery",
    "attach_snippets",
    "gin_matches_only",
    "highlight",
    "parse_query",
    "search_articles",
    "search_columns",
    "snippet",
    "text_matches",
]


def search_articles(*, user, terms: list[str], column: Column | None = None) -> PostgresMatches | QuerySet:
    """Published articles matching every term, best first, each with `rank`, for a Paginator to
    count and slice; the bodies stay in the database."""
    if connection.vendor == "postgresql":
        return PostgresMatches(terms, user=user, column=column)
    return sqlite.search_articles(user=user, terms=terms, column=column)


def search_columns(terms: list[str], *, limit: int = MAX_COLUMN_RESULTS) -> list[Column]:
    """Published columns whose title, tagline, introduction or authors' names contain every term
    (their search document, see Column.render_search_document), those with every term in the
    title first, then the most recently updated; each with `author_names`."""
    if not terms:
        return []
    if connection.vendor == "postgresql":
        return postgres.matching_columns(terms, limit=limit)
    return sqlite.matching_columns(terms, limit=limit)


def text_matches(terms: list[str]) -> QuerySet:
    """The primary keys of every article, drafts included, whose whole text or title or tags
    contain every term: for editors (admin search), through the same index as the readers' search."""
    matches = postgres.text_matches(terms) if connection.vendor == "postgresql" else sqlite.text_matches(terms)
    return matches.order_by().values("pk")
