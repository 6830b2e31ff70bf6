"""{% load reading_options_tags %}: a bookshelf entry's private feed, without a query per entry."""

from dataclasses import dataclass

from django import template

from articles.absolute_urls import absolute_url
from members.feed_keys import live_feed_keys, private_feed_path
from members.models import FeedKey

register = template.Library()

REQUEST_CACHE_ATTR = "_live_feed_keys"


@dataclass(frozen=True)
class PrivateFeed:
    key: FeedKey

    @property
    def rss_url(self) -> str:
        return absolute_url(private_feed_path(self.key))

    @property
    def atom_url(self) -> str:
        return absolute_url(private_feed_path(self.key, atom=True))


@register.simple_tag(takes_context=True)
def private_feed_for(context, membership) -> PrivateFeed | None:
    """The reader's live private feed of the membership's column; every key of the reader is
    loaded with the first entry of the page, in one query."""
    request = context.get("request")
    if request is None or request.user.pk != membership.user_id:
        return None
    keys = getattr(request, REQUEST_CACHE_ATTR, None)
    if keys is None:
        keys = live_feed_keys(request.user)
        setattr(request, REQUEST_CACHE_ATTR, keys)
    key = keys.get(membership.column_id)
    return PrivateFeed(key) if key else None
