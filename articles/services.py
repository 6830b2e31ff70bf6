"""Writes to columns and articles."""

from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.models import Article, Column


def column_refresh_stats(*, column_id: int) -> None:
    """Recount a column's published articles and its last update in one UPDATE."""
    published = Article.objects.filter(
        column_id=OuterRef("pk"), status=Article.Status.PUBLISHED, published_at__lte=timezone.now()
    ).values("column_id")
    Column.objects.filter(pk=column_id).update(
        article_count=Coalesce(Subquery(published.annotate(n=Count("pk")).values("n")), 0),
        last_published_at=Subquery(published.annotate(last=Max("published_at")).values("last")),
    )
