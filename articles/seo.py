"""What a page tells search engines and link previews: description, Open Graph, Twitter card and
schema.org structured data.

Built only from what anyone may see (title, summary, column, cover, authors, dates), never from
the full text, and the same whoever is looking: a member's page can be cached or shared, so its
card must not carry a word of the paid part. The article's `summary` is cut from its preview.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from articles.absolute_urls import absolute_url, site_url
from articles.markdown import excerpt
from articles.models import Article, Column
from members.access import can_read_in_full

# The element of the article page that holds (or, for visitors, stands in for) the members-only
# text, as Google asks paywalled pages to mark it.
PAYWALLED_SELECTOR = ".paywalled-content"
DESCRIPTION_LENGTH = 160
HEADLINE_LENGTH = 110
OPEN_GRAPH_LOCALES = {"zh-hans": "zh_CN", "en": "en_US"}

# The escapes of django.utils.html.json_script: the data block cannot end the <script> element
# or open a comment, whatever the text contains.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@dataclass(frozen=True)
class PageMeta:
    title: str
    description: str
    url: str
    kind: str  # Open Graph type: "article" or "website"
    image: str = ""
    published_time: datetime | None = None
    modified_time: datetime | None = None
    section: str = ""
    tags: tuple[str, ...] = ()
    author_urls: tuple[str, ...] = ()
    structured_data: dict = field(default_factory=dict)

    @property
    def site_name(self) -> str:
        return settings.SITE_NAME

    @property
    def locale(self) -> str:
        return OPEN_GRAPH_LOCALES.get(get_language() or settings.LANGUAGE_CODE, "zh_CN")

    @property
    def twitter_card(self) -> str:
        return "summary_large_image" if self.image else "summary"

    @property
    def structured_data_json(self) -> SafeString:
        return ld_json(self.structured_data) if self.structured_data else SafeString("")


def ld_json(data: dict) -> SafeString:
    """JSON for a <script type="application/ld+json"> block, escaped like json_script."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(text.translate(JSON_SCRIPT_ESCAPES))


def cover_url(column: Column) -> str:
    return absolute_url(column.cover.url) if column.cover else ""


def is_free_to_everyone(article: Article) -> bool:
    """Whether a visitor who is not logged in reads the whole article: the access rule's answer."""
    return can_read_in_full(AnonymousUser(), article)


def article_meta(article: Article) -> PageMeta:
    column = article.column
    url = absolute_url(article.get_absolute_url())
    description = excerpt(article.summary or column.tagline or column.title, DESCRIPTION_LENGTH)
    authors = list(column.authors.all())
    tags = tuple(tag.name for tag in article.tags.all())
    image = cover_url(column)
    free = is_free_to_everyone(article)
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": excerpt(article.title, HEADLINE_LENGTH),
        "description": description,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": article.published_at,
        "dateModified": article.updated_at,
        "author": [{"@type": "Person", "name": author.display_name, "url": absolute_url(author.get_absolute_url())} for author in authors],
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME, "url": site_url() + "/"},
        "articleSection": column.title,
        "inLanguage": settings.LANGUAGE_CODE,
        "isAccessibleForFree": free,
        "isPartOf": {
            "@type": ["CreativeWork", "Product"],
            "name": column.title,
            "url": absolute_url(column.get_absolute_url()),
            "productID": f"{site_url()}#column-{column.slug}",
        },
    }
    if tags:
        data["keywords"] = list(tags)
    if image:
        data["image"] = [image]
    if not free:
        data["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": PAYWALLED_SELECTOR}
    return PageMeta(
        title=article.title,
        description=description,
        url=url,
        kind="article",
        image=image,
        published_time=article.published_at,
        modified_time=article.updated_at,
        section=column.title,
        tags=tags,
        author_urls=tuple(absolute_url(author.get_absolute_url()) for author in authors),
        structured_data=data,
    )


def column_meta(column: Column) -> PageMeta:
    url = absolute_url(column.get_absolute_url())
    description = excerpt(column.tagline or column.intro_text or column.title, DESCRIPTION_LENGTH)
    return PageMeta(title=column.title, description=description, url=url, kind="website", image=cover_url(column))
