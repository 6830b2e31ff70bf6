"""What search engines are invited to crawl: /sitemap.xml (an index), one sitemap per kind of page,
and /robots.txt. Sitemaps carry addresses and dates only, never article text. Every address is
built from settings.SITE_URL, whatever Host the request came with."""

from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.db.models import Max
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_safe
from taggit.models import Tag

from articles.absolute_urls import absolute_url, site_url
from articles.models import Article, Author, Column


class SiteURLSitemap(Sitemap):
    """Addresses on SITE_URL's scheme and host rather than the request's."""

    def get_protocol(self, protocol=None):
        return urlsplit(site_url()).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(site_url()).netloc


class ColumnSitemap(SiteURLSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return Column.objects.published().only("slug", "last_published_at", "updated_at").order_by("pk")

    def lastmod(self, column):
        return max(filter(None, [column.last_published_at, column.updated_at]))

    def get_latest_lastmod(self):
        return Column.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class ArticleSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.6
    limit = 10000

    def items(self):
        return Article.objects.published().only("pk", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        return Article.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class TagSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.3

    def items(self):
        tagged = Article.objects.published().values("pk")
        return (
            Tag.objects.filter(taggit_taggeditem_items__object_id__in=tagged, taggit_taggeditem_items__content_type__model="article")
            .distinct()
            .only("slug")
            .order_by("slug")
        )

    def location(self, tag):
        return reverse("articles:tag", kwargs={"slug": tag.slug})

    def get_latest_lastmod(self):
        return None


class AuthorSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        return Author.objects.filter(columns__status=Column.Status.PUBLISHED).distinct().only("slug").order_by("slug")

    def get_latest_lastmod(self):
        return None


SITEMAPS = {
    "columns": ColumnSitemap,
    "articles": ArticleSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}


@require_safe
def sitemap_index(request):
    """Like django.contrib.sitemaps.views.index, with SITE_URL addresses and each section's latest
    date from one aggregate instead of from every item."""
    entries = []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        location = absolute_url(reverse("sitemap-section", kwargs={"section": section}))
        lastmod = sitemap.get_latest_lastmod()
        for page in range(1, sitemap.paginator.num_pages + 1):
            entries.append(SitemapIndexItem(location if page == 1 else f"{location}?p={page}", lastmod))
    return TemplateResponse(request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml")


@require_safe
def robots_txt(request):
    return render(request, "robots.txt", {"sitemap_url": absolute_url(reverse("sitemap-index"))}, content_type="text/plain; charset=utf-8")
