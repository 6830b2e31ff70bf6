"""Writes to columns and articles."""

from django.db.models import Count, Max, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.models import Article, Author, Column


def column_refresh_stats(*, column_id: int) -> None:
    """Recount a column's published articles and its last update in one UPDATE."""
    published = Article.objects.filter(column_id=OuterRef("pk"), status=Article.Status.PUBLISHED, published_at__lte=timezone.now()).values("column_id")
    Column.objects.filter(pk=column_id).update(
        article_count=Coalesce(Subquery(published.annotate(n=Count("pk")).values("n")), 0),
        last_published_at=Subquery(published.annotate(last=Max("published_at")).values("last")),
    )


def column_refresh_search_document(*, column: Column) -> None:
    """Recompute one column's search document from its fields as they are and its authors now."""
    column.search_document = column.render_search_document(list(column.authors.values_list("display_name", flat=True)))
    Column.objects.filter(pk=column.pk).update(search_document=column.search_document)


def column_refresh_search_documents(*, column_ids) -> None:
    """Recompute the search documents of these columns, e.g. after their authors changed."""
    columns = list(
        Column.objects.filter(pk__in=list(column_ids))
        .only("pk", "title", "tagline", "intro_html")
        .prefetch_related(Prefetch("authors", queryset=Author.objects.only("pk", "display_name")))
    )
    for column in columns:
        column.search_document = column.render_search_document([author.display_name for author in column.authors.all()])
    Column.objects.bulk_update(columns, ["search_document"])
