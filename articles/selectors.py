"""Reads for the reader-facing pages. Each selector owns its joins so that page query counts stay
constant however many columns or articles there are."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.base import ModelState
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve
from django.utils import timezone
from taggit.models import Tag

from articles.access import ReaderAccess, access_annotations, attach_reader_access
from articles.models import SEARCH_FIELDS, Article, Author, Category, Column, Section
from members.models import Plan
from members.selectors import active_reader_counts, plans_by_column
from portal.auth_backends import user_row_queryset
from portal.compiled import CompiledQuery


def published_columns(*, category: Category | None = None, author: Author | None = None):
    columns = Column.objects.published().select_related("category").prefetch_related("authors")
    if category is not None:
        columns = columns.filter(category=category)
    if author is not None:
        columns = columns.filter(authors=author)
    return columns


def categories_in_use():
    return Category.objects.filter(columns__status=Column.Status.PUBLISHED).distinct()


@dataclass
class ColumnFigures:
    """What a column card or header shows besides the column's own fields."""

    readers: int
    plans: list[Plan]

    @property
    def lowest_price(self) -> Plan | None:
        return min(self.plans, key=lambda plan: plan.price_fen, default=None)


def attach_figures(columns) -> list[Column]:
    """Set `column.figures` on each column: reader counts and plans, two queries for the whole page."""
    columns = list(columns)
    ids = [column.pk for column in columns]
    readers = active_reader_counts(ids)
    plans = plans_by_column(ids)
    for column in columns:
        column.figures = ColumnFigures(readers=column.stated_reader_count + readers.get(column.pk, 0), plans=plans.get(column.pk, []))
    return columns


def column_for_reader(slug: str, *, include_drafts: bool) -> Column:
    columns = Column.objects.select_related("category").prefetch_related("authors")
    if not include_drafts:
        columns = columns.published()
    return attach_figures([get_object_or_404(columns, slug=slug)])[0]


@dataclass
class TocSection:
    section: Section | None
    articles: list[Article] = field(default_factory=list)


def column_table_of_contents(column: Column) -> tuple[list[Article], list[TocSection]]:
    """Pinned articles, then every published article grouped by section in the sections' order."""
    articles = list(column.articles.published().for_listing().order_by("number"))
    sections = list(column.sections.all())
    groups = {section.pk: TocSection(section) for section in sections}
    unsectioned = TocSection(None)
    for article in articles:
        groups.get(article.section_id, unsectioned).articles.append(article)
    toc = [group for group in groups.values() if group.articles]
    if unsectioned.articles:
        toc.append(unsectioned)
    pinned = [article for article in articles if article.pinned]
    return pinned, toc


def article_for_reader(pk: int, user=None) -> Article:
    """The article, in one query.

    For a visitor who is not signed in the full text stays in the database (`body_html` is loaded
    only if a page asks for it, which only happens for free articles). For a signed-in reader the
    same query also answers whether they are a member or an author of the column
    (`article.reader_access`, read by `can_read_in_full`) and brings the text along, so the page
    of a member needs no second query; only `can_read_in_full` decides whether a page gets it."""
    articles = Article.objects.select_related("column", "section").defer("body", *SEARCH_FIELDS)
    if user is None or not user.is_authenticated:
        return get_object_or_404(articles.defer("body_html"), pk=pk)
    return attach_reader_access(user, get_object_or_404(articles.annotate(**access_annotations(user)), pk=pk))


def _reading_pass_query(*, pk: int, user_pk: int, now):
    article = Article.objects.filter(pk=pk).order_by().annotate(**access_annotations(user_pk, at=now)).values_list(*READING_PASS_FIELDS)
    return user_row_queryset(pk=user_pk), article


READING_PASS_FIELDS = (
    "id", "column_id", "access", "status", "published_at", "body_html", "column__status", "column__is_free", "reader_may_read",
)  # fmt: skip
READING_PASS = CompiledQuery(_reading_pass_query, pk=1, user_pk=1, now=datetime(2000, 1, 1, tzinfo=UTC))


def partial_instance(model, **values):
    """A model instance as loaded from the database with only these fields (the others deferred,
    loaded on first access as usual). Built as Model.from_db builds one, without running
    Model.__init__ over every field of the model: a third of the reading pass's Python."""
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = "default"
    instance.__dict__.update(values)
    return instance


@dataclass(frozen=True)
class ReadingPass:
    """What a signed-in reader's article page needs first, from one round trip: the reader's user
    row (for portal.auth_backends.user_row_loaded; None if there is no such user) and the
    article (None if there is no such article)."""

    user_row: tuple | None
    article: Article | None


def reading_pass(pk: int, user_pk: int) -> ReadingPass:
    """For the user a session names: their row, and the article's access fields and text with
    their membership and authorship of its column, in one precompiled statement (the hot path of
    a member's article page, see views.article_detail). The article carries only those fields (the
    rest are deferred), its column only `status` and `is_free`; `can_see` and `can_read_in_full`
    work on it as usual once the user is authenticated."""
    row = READING_PASS.first(pk=pk, user_pk=user_pk, now=timezone.now())
    if row is None:
        return ReadingPass(None, None)
    user_row, article_row = row
    if article_row is None:
        return ReadingPass(user_row, None)
    _, column_id, access, status, published_at, body_html, column_status, column_is_free, may_read = article_row
    article = partial_instance(Article, id=pk, column_id=column_id, access=access, status=status, published_at=published_at, body_html=body_html)
    article.column = partial_instance(Column, id=column_id, status=column_status, is_free=column_is_free)
    article.reader_access = ReaderAccess(user_pk, bool(may_read))
    return ReadingPass(user_row, article)


def prefetch_article_page(article: Article) -> Article:
    """What the article page shows besides the article: its tags and the column's authors."""
    prefetch_related_objects([article], "tags", Prefetch("column__authors", queryset=Author.objects.all()))
    return article


def neighbours(article: Article) -> tuple[Article | None, Article | None]:
    """The published articles just before and after this one in its column."""
    siblings = Article.objects.published().filter(column_id=article.column_id).only("pk", "title", "number")
    previous = siblings.filter(number__lt=article.number).order_by("-number").first()
    following = siblings.filter(number__gt=article.number).order_by("number").first()
    return previous, following


def articles_tagged(tag_slug: str):
    tag = get_object_or_404(Tag, slug=tag_slug)
    articles = Article.objects.published().for_listing().filter(tags__slug=tag_slug).order_by("-published_at")
    return tag, articles


def author_by_slug(slug: str) -> Author:
    return get_object_or_404(Author, slug=slug)


def column_id_for_path(path: str) -> int | None:
    """The column a column or article page belongs to; one small query, or none for other pages."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name == "articles:column":
        return Column.objects.filter(slug=match.kwargs["slug"]).values_list("pk", flat=True).first()
    if match.view_name == "articles:article":
        return Article.objects.filter(pk=match.kwargs["pk"]).values_list("column_id", flat=True).first()
    return None
