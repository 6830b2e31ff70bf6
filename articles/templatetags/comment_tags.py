"""{% load comment_tags %}: what the article page shows of its comments, the same for everyone who
gets the same page (kept pages hold it): how many there are, and for readers who may read them a
place the comments are loaded into (static/js/comments.js) with a link for browsers without
JavaScript. Visitors and non-members of a members-only article get the count only."""

from django import template

from articles.comments.selectors import shown_comment_count

register = template.Library()


@register.inclusion_tag("articles/comments/teaser.html")
def comments_teaser(article, reads_in_full: bool):
    return {"article": article, "reads_in_full": reads_in_full, "count": shown_comment_count(article.pk)}


@register.filter
def commenter_name(user) -> str:
    """How a comment names its writer: their name if they gave one, else their account name cut
    short, never their email address (account names are derived from it)."""
    return user.get_full_name() or f"{user.get_username()[:3]}***"
