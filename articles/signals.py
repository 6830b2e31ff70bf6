"""Keep each column's article count and last update in step with its articles, however they change."""

from functools import partial

from django.apps import apps
from django.db import connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_delete
from django.dispatch import receiver
from taggit.models import Tag

from articles import page_cache, search_index
from articles.models import (
    Article,
    Author,
    Column,
    Comment,
    CommentBan,
    CommentEmail,
    CommentEmailSettings,
    CommentLike,
    CommentReport,
    ImportBatch,
    ImportBatchDocument,
    ImportBatchFile,
    PageGeneration,
)
from articles.search.documents import tags_document
from articles.services import column_refresh_search_document, column_refresh_search_documents, column_refresh_stats
from articles.tasks import refresh_tag_search_task


@receiver(post_save, sender=Article, dispatch_uid="article_saved_refresh_column")
@receiver(post_delete, sender=Article, dispatch_uid="article_deleted_refresh_column")
def refresh_column_after_article_change(sender, instance, raw=False, **kwargs):
    if not raw:
        column_refresh_stats(column_id=instance.column_id)


@receiver(m2m_changed, sender=Article.tags.through, dispatch_uid="article_tags_refresh_search")
def refresh_search_tags(sender, instance, action, **kwargs):
    """Tags are set after the article is saved (admin saves them last), so their search document follows them here."""
    if isinstance(instance, Article) and action in ("post_add", "post_remove", "post_clear"):
        instance.search_tags = tags_document(instance.tags.names())
        Article.objects.filter(pk=instance.pk).update(search_tags=instance.search_tags)


@receiver(post_save, sender=Tag, dispatch_uid="tag_saved_refresh_search")
def refresh_search_after_tag_saved(sender, instance, created, raw=False, **kwargs):
    """A renamed tag renames itself in every article's search document, in the background once the
    rename commits (robust: the save must not fail because the queue did; rebuild_search_index
    catches up). Any save enqueues it, not only a rename: tags are saved rarely, and the task only
    writes what the names are now."""
    if not raw and not created:
        transaction.on_commit(partial(refresh_tag_search_task.enqueue, tag_id=instance.pk), robust=True)


AUTHOR_COLUMNS_ATTR = "_search_columns_before"


@receiver(m2m_changed, sender=Column.authors.through, dispatch_uid="column_authors_refresh_search")
def refresh_column_search_after_authors_change(sender, instance, action, reverse, pk_set, **kwargs):
    """A column is found by its authors' names: adding or removing one, from either side, follows."""
    if action == "pre_clear" and reverse:
        setattr(instance, AUTHOR_COLUMNS_ATTR, list(instance.columns.values_list("pk", flat=True)))
    elif action in ("post_add", "post_remove", "post_clear"):
        if not reverse:
            column_refresh_search_document(column=instance)
        else:
            column_refresh_search_documents(column_ids=pk_set if action != "post_clear" else getattr(instance, AUTHOR_COLUMNS_ATTR, []))


@receiver(post_save, sender=Author, dispatch_uid="author_saved_refresh_column_search")
def refresh_column_search_after_author_saved(sender, instance, created, raw=False, **kwargs):
    if not raw and not created:
        column_refresh_search_documents(column_ids=instance.columns.values_list("pk", flat=True))


@receiver(pre_delete, sender=Author, dispatch_uid="author_deleting_remember_columns")
def remember_columns_of_deleted_author(sender, instance, **kwargs):
    setattr(instance, AUTHOR_COLUMNS_ATTR, list(instance.columns.values_list("pk", flat=True)))


@receiver(post_delete, sender=Author, dispatch_uid="author_deleted_refresh_column_search")
def refresh_column_search_after_author_deleted(sender, instance, **kwargs):
    column_refresh_search_documents(column_ids=getattr(instance, AUTHOR_COLUMNS_ATTR, []))


@receiver(post_migrate, dispatch_uid="articles_ensure_search_index")
def ensure_search_index(sender, using, **kwargs):
    if sender.name == "articles":
        search_index.ensure(connections[using])


# What the kept reader pages show (articles/page_cache/): any change retires them all. Members
# connect their own models that pages show (plans, members/signals.py).
PAGE_CONTENT_APPS = frozenset({"articles", "taggit"})
# Rows of the articles app that no page shows: the generation itself, import bookkeeping, and
# comments, which kept pages show only as a count (a few minutes late at most) and whose list is
# loaded apart, per reader (articles/comments/): a comment must not retire every kept page.
NOT_PAGE_CONTENT = frozenset({PageGeneration, ImportBatch, ImportBatchDocument, ImportBatchFile})
NOT_PAGE_CONTENT |= {Comment, CommentBan, CommentEmail, CommentEmailSettings, CommentLike, CommentReport}


def shows_on_pages(sender) -> bool:
    app_config = apps.get_containing_app_config(getattr(sender, "__module__", ""))
    return app_config is not None and app_config.label in PAGE_CONTENT_APPS and sender not in NOT_PAGE_CONTENT


@receiver(post_save, dispatch_uid="page_content_saved")
@receiver(post_delete, dispatch_uid="page_content_deleted")
@receiver(m2m_changed, dispatch_uid="page_content_relations_changed")
def retire_kept_pages(sender, raw=False, **kwargs):
    if not raw and shows_on_pages(sender):
        page_cache.pages_changed()


@receiver(post_migrate, dispatch_uid="page_content_migrated")
def retire_kept_pages_after_migrate(sender, **kwargs):
    if sender.name == "articles":
        page_cache.pages_changed()
