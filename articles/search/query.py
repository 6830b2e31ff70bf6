"""What a reader asked for, and the conditions every backend shares: which document of an article
a reader may search, the text a snippet may come from, and the order columns are listed in."""

from dataclasses import dataclass
from functools import reduce
from operator import and_

from django.db.models import Case, F, Q, QuerySet, TextField, Value, When
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

from articles.segmenting import MAX_QUERY_CHARS, is_too_short, query_terms
from members.access import readable_filter, reads_everything

MAX_COLUMN_RESULTS = 5


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


def full_text_filter(user, *, at=None) -> Q | None:
    """The articles whose full document this reader searches, and whose full text a snippet may
    come from: members.access.readable_filter, or None for a reader who reads everything, so
    that the queries carry no condition at all for them."""
    if reads_everything(user):
        return None
    return readable_filter(user, at=at)


def by_access(readable: Q | None, full, public):
    """The full-text variant of a condition or rank where the reader may read the article, else the public one."""
    if readable is None:
        return full
    return Case(When(readable, then=full), default=public)


def with_full_html(articles: QuerySet, readable: Q | None) -> QuerySet:
    """The text a snippet may come from leaves the database only for articles the reader may read in full."""
    return articles.annotate(full_html=by_access(readable, F("body_html"), Value("", output_field=TextField())))


def columns_in_search_order(columns: QuerySet, terms: list[str]) -> QuerySet:
    """Every term in the title first (compared in capitals, each term passed as it is), then the
    most recently updated."""
    title_match = reduce(and_, (Q(GreaterThan(StrIndex(Upper("title"), Upper(Value(term))), 0)) for term in terms))
    return columns.annotate(title_match=Case(When(title_match, then=Value(1)), default=Value(0))).order_by(
        "-title_match", F("last_published_at").desc(nulls_last=True), "pk"
    )
