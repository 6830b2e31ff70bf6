"""Reads for the comment pages. A thread is one query however many comments and likes it has:
every comment of the article with its author, its like count and whether this reader liked it."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Value
from django.shortcuts import get_object_or_404

from articles.comments.rules import author_user_ids
from articles.models import Article, Comment, CommentLike
from articles.selectors import article_for_reader, prefetch_article_page


@dataclass
class Thread:
    """A top-level comment and its replies, as the page shows them."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def shown_comment_count(article_id: int) -> int:
    return Comment.objects.shown().filter(article_id=article_id).count()


def article_with_comments(pk: int, user) -> Article:
    """The article (one query, the reader's access answered in it) and its column's authors."""
    return prefetch_article_page(article_for_reader(pk, user))


def comment_threads(article: Article, user, *, moderator: bool) -> list[Thread]:
    """The article's threads, pinned first, then oldest first; replies oldest first.

    Hidden comments are left out except for moderators (who see them marked). A deleted comment
    is left out, unless it still has replies someone may see: then it stays as a placeholder."""
    comments = Comment.objects.filter(article=article).select_related("user").annotate(like_count=Count("likes"))
    if user.is_authenticated:
        comments = comments.annotate(liked=Exists(CommentLike.objects.filter(comment=OuterRef("pk"), user=user)))
    else:
        comments = comments.annotate(liked=Value(False))
    if not moderator:
        comments = comments.filter(hidden_at__isnull=True)
    authors = author_user_ids(article.column)
    threads: dict[int, Thread] = {}
    replies: list[Comment] = []
    for comment in comments.order_by("created_at", "pk"):
        comment.by_author = comment.user_id in authors
        if comment.parent_id is None:
            threads[comment.pk] = Thread(comment)
        elif comment.deleted_at is None:
            replies.append(comment)
    for reply in replies:
        if reply.parent_id in threads:
            threads[reply.parent_id].replies.append(reply)
    shown = [thread for thread in threads.values() if thread.comment.deleted_at is None or thread.replies]
    return sorted(shown, key=lambda thread: not thread.comment.is_pinned)


def comment_for_action(comment_id: int) -> Comment:
    """A comment with its article and column, for the forms that act on one comment."""
    return get_object_or_404(Comment.objects.select_related("article__column", "user").defer("article__body", "article__body_html"), pk=comment_id)
