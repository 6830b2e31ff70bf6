"""Stored search documents that follow rows other than the article's own: its tags.

An article's title and texts are segmented when it is saved (Article.render), but a tag is a row
of its own (django-taggit's Tag) that many articles share, so renaming one changes the search
documents of every article carrying it without saving any of them.
"""

from articles import page_cache
from articles.models import Article
from articles.segmenting import index_text

BATCH = 500


def tags_document(names) -> str:
    """The stored search document of an article's tags, in an order that does not depend on how they were added."""
    return index_text(" ".join(sorted(names)))


def tag_articles_refresh_search(*, tag_id: int) -> int:
    """Recompute the tag documents of the articles carrying this tag, from their tags' names as
    they are now. Returns how many articles were updated."""
    articles = Article.objects.filter(tags__id=tag_id).only("pk").prefetch_related("tags").order_by("pk")
    done, last_pk = 0, 0
    while batch := list(articles.filter(pk__gt=last_pk)[:BATCH]):
        for article in batch:
            article.search_tags = tags_document(tag.name for tag in article.tags.all())
        Article.objects.bulk_update(batch, ["search_tags"])
        done += len(batch)
        last_pk = batch[-1].pk
    if done:
        # bulk_update sends no signals: kept search pages would go on finding the old name.
        page_cache.pages_changed()
    return done
