"""Keep each column's article count and last update in step with its articles, however they change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from articles.models import Article
from articles.services import column_refresh_stats


@receiver(post_save, sender=Article, dispatch_uid="article_saved_refresh_column")
@receiver(post_delete, sender=Article, dispatch_uid="article_deleted_refresh_column")
def refresh_column_after_article_change(sender, instance, raw=False, **kwargs):
    if not raw:
        column_refresh_stats(column_id=instance.column_id)
