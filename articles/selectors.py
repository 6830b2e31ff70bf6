"""Reads for the reader-facing pages. Each selector owns its joins so that page query counts stay
constant however many columns or articles there are."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Prefetch, Q, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve
from django.utils import timezone
from taggit.models import Tag

from articles.models import SEARCH_FIELDS, Article, Author, Category, Column, Section
from members.access import active_reader_counts, attach_reader_access, plans_by_column, with_reader_access


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
    plans: list  # members' Plan rows, cheapest first
    # Column and join pages only (attach_update_figures): buyers' evidence that the column is alive.
    recent_articles: int = 0
    last_update: datetime | None = None

    @property
    def lowest_price(self):
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
    return attach_update_figures(attach_figures([get_object_or_404(columns, slug=slug)])[0])


RECENT_DAYS = 30


def attach_update_figures(column: Column) -> Column:
    """How many articles the column published in the last RECENT_DAYS days and when it last did,
    from its published articles (never a scheduled one, whatever the stored figures of the column
    say) in one aggregate query.

    A visitor's kept column page shows them too; it is retired by every article save and never
    outlives the next scheduled publication (articles/page_cache/entries.py), so only an article
    passing the 30 days can leave the count behind, for at most PAGE_CACHE_SECONDS."""
    now = timezone.now()
    published = Article.objects.filter(column_id=column.pk, status=Article.Status.PUBLISHED, published_at__lte=now)
    found = published.aggregate(recent=Count("pk", filter=Q(published_at__gt=now - timedelta(days=RECENT_DAYS))), last=Max("published_at"))
    column.figures.recent_articles = found["recent"]
    column.figures.last_update = found["last"]
    return column


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
    return attach_reader_access(user, get_object_or_404(with_reader_access(articles, user), pk=pk))


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
