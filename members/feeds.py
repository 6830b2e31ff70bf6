"""Private feeds: a reader's own feed of a column, with the full text of what they may read today."""

from django.http import Http404, HttpResponseGone
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from articles.feeds import ColumnFeed
from members.access import can_read_column
from members.feed_keys import FeedKeyRevoked, FeedKeyUnknown, feed_key_for_token, feed_key_mark_used


class PrivateColumnFeed(ColumnFeed):
    """A reader's own feed of a column, opened by the signed token in its address. It carries the
    full text of what that reader may read today: an expired or refunded membership falls back to
    previews at the next fetch, a revoked key answers 410."""

    def __call__(self, request, token):
        try:
            key = feed_key_for_token(token)
        except FeedKeyRevoked:
            response = HttpResponseGone(_("This feed address was replaced or switched off."), content_type="text/plain; charset=utf-8")
            self.add_headers(response, None)
            return response
        except FeedKeyUnknown:
            raise Http404 from None
        if not key.column.is_published or not key.user.is_active:
            raise Http404
        response = super().__call__(request, key=key)
        if response.status_code == 200:
            feed_key_mark_used(key)
        return response

    def get_object(self, request, key):
        return key

    def reader(self, key):
        return key.user

    def articles(self, key):
        return super().articles(key.column)

    def extra_dates(self, key):
        return super().extra_dates(key.column)

    def reader_state(self, key):
        return f"{key.pk}:{can_read_column(key.user, key.column)}"

    def last_modified(self, key, etag):
        # None: a membership that ends changes the feed without changing any date, so only the
        # ETag (which includes the reader's access) may answer 304.
        return None

    def add_headers(self, response, key) -> None:
        patch_cache_control(response, private=True, no_store=True)
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "no-referrer"

    def title(self, key):
        return _("%(column)s (private feed)") % {"column": key.column.title}

    def link(self, key):
        return super().link(key.column)

    def feed_url(self, key):
        return None

    def description(self, key):
        return super().description(key.column)


class PrivateColumnAtomFeed(PrivateColumnFeed):
    feed_type = Atom1Feed
    subtitle = PrivateColumnFeed.description
