"""What members does when articles change, connected by members itself (articles never calls in)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from articles import page_cache
from articles.models import Article, Column
from members.models import Plan
from members.tasks import new_article_announce_on_commit, new_column_announce_on_commit


@receiver(post_save, sender=Article, dispatch_uid="article_saved_announce_to_members")
def announce_new_article(sender, instance, raw=False, **kwargs):
    """Publishing an article (in admin, or any save that makes it visible or schedules it) enqueues
    the task that emails the column's members, after commit; imported and back-dated articles are
    left alone (members.notifications)."""
    if not raw:
        new_article_announce_on_commit(article=instance)


@receiver(post_save, sender=Column, dispatch_uid="column_saved_announce_to_members")
def announce_new_column_articles(sender, instance, raw=False, **kwargs):
    """Publishing a draft column makes its recent articles visible at once: they are emailed to
    its members as one digest each, after commit (members.notifications)."""
    if not raw:
        new_column_announce_on_commit(column=instance)


@receiver(post_save, sender=Plan, dispatch_uid="plan_saved_retire_kept_pages")
@receiver(post_delete, sender=Plan, dispatch_uid="plan_deleted_retire_kept_pages")
def retire_kept_pages(sender, raw=False, **kwargs):
    """Prices show on column cards, column pages and paywalls."""
    if not raw:
        page_cache.pages_changed()
