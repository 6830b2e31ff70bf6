"""RSS and Atom feeds: the whole site, one column, and a reader's private feed of one column.

Every feed shows, for each article, exactly what `can_read_in_full` allows the feed's reader: the
public feeds are read as an anonymous visitor (free articles in full, the others as their preview
and a link), a private feed as the reader its key belongs to, asked again on every fetch. The full
text is loaded only for the articles that answer allows. Feeds answer conditional GETs with 304.
"""

import hashlib
import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import format_html
from django.utils.http import http_date, quote_etag
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from articles.absolute_urls import absolute_url, absolutize_html
from articles.models import Article, Author, Column
from members.access import can_read_in_full

# Bump when what a feed shows changes shape, so readers' cached copies are not reused.
FEED_FORMAT = 1
PUBLIC_FEED_MAX_AGE = 300
# When each feed last changed, by its ETag, in the shared cache; a feed forgotten counts as changed.
FEED_CHANGED_KEY = "feeds:changed:{feed}:{obj}:{language}"
FEED_CHANGED_SECONDS = 30 * 86400


def continue_reading(article: Article) -> str:
    return format_html('<p><a href="{}">{}</a></p>', absolute_url(article.get_absolute_url()), _("Continue reading (members only)"))


class ArticleFeed(Feed):
    """What every feed shares: the newest visible articles, each with the text its reader may have."""

    feed_type = Rss201rev2Feed

    # Subclasses: the object the feed is about, its articles, and whose feed it is.
    def reader(self, obj):
        return AnonymousUser()

    def articles(self, obj):
        raise NotImplementedError

    def __call__(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        obj = self.get_object(request, *args, **kwargs)
        etag, last_modified = self.validators(obj)
        timestamp = int(last_modified.timestamp()) if last_modified else None
        response = get_conditional_response(request, etag=etag, last_modified=timestamp)
        if response is None:
            feedgen = self.get_feed(obj, request)
            response = HttpResponse(content_type=feedgen.content_type)
            feedgen.write(response, "utf-8")
        response.headers["ETag"] = etag
        if timestamp is not None:
            response.headers["Last-Modified"] = http_date(timestamp)
        self.add_headers(response, obj)
        return response

    def add_headers(self, response, obj) -> None:
        patch_cache_control(response, public=True, max_age=PUBLIC_FEED_MAX_AGE)

    def validators(self, obj) -> tuple[str, datetime | None]:
        """ETag from what the feed shows: the newest FEED_ITEMS articles, their addresses and dates
        and their columns' (one query down the date index, however many articles there are). The
        feed changes when one of them appears, disappears or is edited, or when what the reader may
        read changes (see `reader_state`); an older article's edit does not change it."""
        shown = list(self.newest(obj).values_list("pk", "published_at", "updated_at", "column__updated_at"))
        parts = [FEED_FORMAT, type(self).__name__, shown, self.extra_dates(obj), get_language(), self.reader_state(obj)]
        etag = quote_etag(hashlib.sha256(repr(parts).encode()).hexdigest()[:32])
        return etag, self.last_modified(obj, etag)

    def last_modified(self, obj, etag: str) -> datetime | None:
        """When the feed first showed what this ETag names. Not the newest date among its articles:
        an article that leaves the feed (unpublished, deleted, moved, made members-only) takes its
        dates with it, and a client asking If-Modified-Since alone would be told to keep it.
        Always later than the previous answer, even within the same second."""
        key = FEED_CHANGED_KEY.format(feed=type(self).__name__, obj=getattr(obj, "pk", ""), language=get_language())
        remembered = cache.get(key)
        if remembered is not None and remembered[0] == etag:
            return datetime.fromtimestamp(remembered[1], tz=UTC)
        changed = max(int(time.time()), remembered[1] + 1 if remembered else 0)
        cache.set(key, (etag, changed), timeout=FEED_CHANGED_SECONDS)
        return datetime.fromtimestamp(changed, tz=UTC)

    def newest(self, obj):
        return self.articles(obj).order_by("-published_at", "-pk")[: settings.FEED_ITEMS]

    def extra_dates(self, obj) -> list:
        return []

    def reader_state(self, obj) -> str:
        return ""

    def items(self, obj):
        articles = list(
            self.newest(obj)
            .select_related("column")
            .prefetch_related("tags", Prefetch("column__authors", queryset=Author.objects.all()))
            .defer("body", "body_html")
        )
        reader = self.reader(obj)
        in_full = [article.pk for article in articles if can_read_in_full(reader, article)]
        bodies = dict(Article.objects.filter(pk__in=in_full).values_list("pk", "body_html")) if in_full else {}
        for article in articles:
            if article.pk in bodies:
                article.feed_html = absolutize_html(bodies[article.pk])
            else:
                article.feed_html = absolutize_html(article.preview_html) + continue_reading(article)
        return articles

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        return mark_safe(article.feed_html)

    def item_link(self, article):
        return absolute_url(article.get_absolute_url())

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_author_name(self, article):
        return " · ".join(author.display_name for author in article.column.authors.all()) or None

    def item_categories(self, article):
        return [tag.name for tag in article.tags.all()]


class SiteFeed(ArticleFeed):
    def get_object(self, request, *args, **kwargs):
        return None

    def articles(self, obj):
        return Article.objects.published()

    def title(self):
        return settings.SITE_NAME

    def link(self):
        return absolute_url(reverse("articles:home"))

    def feed_url(self):
        return absolute_url(reverse("articles:feed"))

    def description(self):
        return _("The newest articles of every column on %(site)s.") % {"site": settings.SITE_NAME}


class SiteAtomFeed(SiteFeed):
    feed_type = Atom1Feed
    subtitle = SiteFeed.description

    def feed_url(self):
        return absolute_url(reverse("articles:feed-atom"))


class ColumnFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Column.objects.published(), slug=slug)

    def articles(self, column):
        return Article.objects.published().filter(column=column)

    def extra_dates(self, column):
        return [column.updated_at]

    def title(self, column):
        return f"{column.title} · {settings.SITE_NAME}"

    def link(self, column):
        return absolute_url(column.get_absolute_url())

    def feed_url(self, column):
        return absolute_url(reverse("articles:column-feed", kwargs={"slug": column.slug}))

    def description(self, column):
        return column.tagline or column.intro_text or column.title


class ColumnAtomFeed(ColumnFeed):
    feed_type = Atom1Feed
    subtitle = ColumnFeed.description

    def feed_url(self, column):
        return absolute_url(reverse("articles:column-feed-atom", kwargs={"slug": column.slug}))
