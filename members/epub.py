"""A member's EPUB copy of a column: the articles they may read in full, as a book they keep.

Built for one reader at the moment they ask, never kept or shared between readers, for two
reasons. What goes in is what `members.access.readable_filter` allows this reader now: a copy
made for someone else, or for this reader last month, could hold articles they may no longer
read. And every copy names its reader (email and order number) on its colophon page and in its
metadata, with an identifier of its own, so a copy found elsewhere says whose it was.

Who gets one (`epub_refusal`): the column's members and its authors, when the column offers it.
A free trial does not: a trial lets a reader try the column, and a copy of every article would
let them keep it without paying. Redeem codes and complimentary memberships do: someone paid for
the code, or the column gave the membership on purpose.

Images are read from storage and put inside the book; one that cannot be read is replaced by its
alt text, so the book never reaches back to the site for a picture.
"""

import logging
import posixpath
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from io import BytesIO
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from ebooklib import epub

from articles.absolute_urls import absolute_url, absolutize_html
from articles.images import CLEAN_NAME_RE, content_type_for
from articles.models import SEARCH_FIELDS, Article, Column, Section
from members.access import readable_filter
from members.models import Membership, MembershipGrant, Order

logger = logging.getLogger(__name__)

# Stored article HTML is sanitized (articles/markdown.py): attributes are always double-quoted, so
# a value never holds a '"' and an <img> tag is read whole by its attributes, without an HTML
# parser (BeautifulSoup took 45 s for a 2,000-article column; this, none to speak of).
IMAGE_TAG = re.compile(r'<img(?:\s+[a-zA-Z-]+(?:="[^"]*")?)*\s*/?>')
ATTRIBUTE = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')

MEDIA_TYPE = "application/epub+zip"
# Why a reader gets no copy; the page that says so words each one (templates/members/epub_unavailable.html).
NOT_OFFERED = "not-offered"
NOT_A_MEMBER = "not-a-member"
TRIAL = "trial"


def is_author(user, column: Column) -> bool:
    """From the column's authors as loaded (pages prefetch them), so asking costs no query."""
    return user.is_authenticated and any(author.user_id == user.pk for author in column.authors.all())


def epub_refusal(user, column: Column, membership: Membership | None) -> str | None:
    """Why this reader gets no EPUB of the column, or None when they get one. `membership` is the
    reader's membership of this column as the page already loaded it (or None)."""
    if not column.offers_epub or not column.is_published:
        return NOT_OFFERED
    if is_author(user, column):
        return None
    if not user.is_authenticated or membership is None or membership.column_id != column.pk or not membership.is_active():
        return NOT_A_MEMBER
    if membership.is_trial:
        return TRIAL
    return None


@dataclass(frozen=True)
class CopyOwner:
    """Whose copy it is, as printed on the colophon and written into the metadata."""

    email: str
    order_number: str  # "" when no paid order opened the access
    source: str  # the order, or what else opened the access, in words


def copy_owner(user, column: Column, membership: Membership | None) -> CopyOwner:
    """The reader and the paid order behind their access: the newest paid order among the grants of
    their membership (the one a renewal made, if any), in one query."""
    email = user.email or user.get_username()
    if membership is None:
        return CopyOwner(email=email, order_number="", source=_("author’s copy") if is_author(user, column) else "")
    grant = (
        MembershipGrant.objects.filter(membership=membership, order__status=Order.Status.PAID)
        .select_related("order")
        .only("order__number")
        .order_by("-created_at", "-pk")
        .first()
    )
    if grant is not None:
        return CopyOwner(email=email, order_number=grant.order.number, source=_("order %(number)s") % {"number": grant.order.number})
    return CopyOwner(email=email, order_number="", source=_("membership: %(source)s") % {"source": membership.get_source_display()})


@dataclass
class Chapter:
    section: Section | None
    articles: list[Article] = field(default_factory=list)


def readable_chapters(user, column: Column) -> list[Chapter]:
    """The column's published articles this reader may read in full now, grouped by section in the
    sections' order and numbered within them, as the column page lists them."""
    articles = (
        column.articles.published().filter(readable_filter(user)).select_related("section").defer("body", "preview_html", *SEARCH_FIELDS).order_by("number")
    )
    groups = {section.pk: Chapter(section) for section in column.sections.all()}
    unsectioned = Chapter(None)
    for article in articles:
        groups.get(article.section_id, unsectioned).articles.append(article)
    chapters = [group for group in groups.values() if group.articles]
    if unsectioned.articles:
        chapters.append(unsectioned)
    return chapters


@dataclass(frozen=True)
class Book:
    data: bytes
    identifier: str
    article_count: int


class ImagesInBook:
    """Stored images put in the book once each, however many articles show them."""

    def __init__(self, book: epub.EpubBook):
        self.book = book
        self.file_names: dict[str, str | None] = {}

    def embed(self, html: str) -> str:
        return IMAGE_TAG.sub(self.embedded_tag, html) if "<img" in html else html

    def embedded_tag(self, match: re.Match) -> str:
        attributes = dict(ATTRIBUTE.findall(match.group(0)))
        file_name = self.file_name_for(unescape(attributes.get("src", "")))
        if file_name is None:
            alt = unescape(attributes.get("alt", "")).strip()
            return escape(f"[{alt}]") if alt else ""
        kept = "".join(f' {name}="{attributes[name]}"' for name in ("alt", "width", "height") if name in attributes)
        return f'<img src="{file_name}"{kept}/>'

    def file_name_for(self, src: str) -> str | None:
        name = stored_image_name(src)
        if name is None:
            return None
        if name not in self.file_names:
            self.file_names[name] = self.add(name)
        return self.file_names[name]

    def add(self, name: str) -> str | None:
        try:
            with default_storage.open(name) as stored:
                data = stored.read(settings.IMAGE_MAX_BYTES + 1)
        except (OSError, SuspiciousFileOperation):
            logger.warning("EPUB: image %s could not be read; its alt text stands in", name)
            return None
        if len(data) > settings.IMAGE_MAX_BYTES:
            return None
        file_name = f"images/{posixpath.basename(name)}"
        self.book.add_item(epub.EpubImage(uid=f"image-{len(self.file_names)}", file_name=file_name, media_type=content_type_for(name), content=data))
        return file_name


def stored_image_name(src: str) -> str | None:
    """The storage name of an image the portal stored (a content-hash name under MEDIA_URL), or None
    for anything else: an outside address is not fetched, and no other file is read."""
    if not settings.MEDIA_URL or not src.startswith(settings.MEDIA_URL):
        return None
    name = unquote(src[len(settings.MEDIA_URL) :].split("?", 1)[0])
    if posixpath.normpath(name) != name or name.startswith(("/", "..")) or not CLEAN_NAME_RE.search(posixpath.basename(name)):
        return None
    return name


def epub_build(*, user, column: Column, owner: CopyOwner, at: datetime | None = None) -> Book:
    """The reader's copy of the column as EPUB bytes."""
    at = at or timezone.now()
    identifier = f"urn:uuid:{uuid.uuid4()}"
    chapters = readable_chapters(user, column)
    authors = [author.display_name for author in column.authors.all()]
    context = {"column": column, "authors": authors, "owner": owner, "downloaded_at": at, "identifier": identifier}
    context["article_count"] = sum(len(chapter.articles) for chapter in chapters)
    context["column_url"] = absolute_url(column.get_absolute_url())
    context["site_name"] = settings.SITE_NAME

    book = epub.EpubBook()
    book.set_identifier(identifier)
    book.set_title(column.title)
    book.set_language(settings.LANGUAGE_CODE)
    for name in authors:
        book.add_author(name)
    book.add_metadata("DC", "publisher", settings.SITE_NAME)
    book.add_metadata("DC", "source", context["column_url"])
    book.add_metadata("DC", "rights", _("Copy for %(email)s, %(source)s. For personal reading only.") % {"email": owner.email, "source": owner.source})
    book.add_metadata(None, "meta", "", {"name": "portal:reader-email", "content": owner.email})
    if owner.order_number:
        book.add_metadata(None, "meta", "", {"name": "portal:order-number", "content": owner.order_number})

    images = ImagesInBook(book)
    context["cover"] = cover_file_name(book, column)
    title_page = page(book, "title.xhtml", column.title, render_to_string("members/epub_title_page.html", context))
    colophon = page(book, "colophon.xhtml", _("About this copy"), render_to_string("members/epub_colophon.html", context))
    spine, toc = [title_page, colophon, "nav"], [epub.Link("colophon.xhtml", _("About this copy"), "colophon")]
    for chapter in chapters:
        items = [article_page(book, images, article) for article in chapter.articles]
        spine.extend(items)
        heading = chapter.section.title if chapter.section else _("Other articles")
        toc.append((epub.Section(heading, href=items[0].file_name), items))
    book.toc = toc
    book.spine = spine
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav(title=_("Contents")))

    out = BytesIO()
    # No EPUB 3 page list: ebooklib would parse every article again to look for page breaks our
    # HTML never has (a third of the time for a 2,000-article column).
    epub.write_epub(out, book, {"mtime": at.astimezone(UTC), "epub3_pages": False})
    return Book(data=out.getvalue(), identifier=identifier, article_count=context["article_count"])


def page(book: epub.EpubBook, file_name: str, title: str, content: str) -> epub.EpubHtml:
    item = epub.EpubHtml(title=title, file_name=file_name, lang=settings.LANGUAGE_CODE, content=content)
    book.add_item(item)
    return item


def article_page(book: epub.EpubBook, images: ImagesInBook, article: Article) -> epub.EpubHtml:
    """An article's stored full text (the caller's filter allowed it), its pictures inside the book
    and its links pointing back at the site."""
    body = absolutize_html(images.embed(article.body_html))
    content = format_html('<h1>{}</h1><p class="date">{}</p>{}', article.title, timezone.localtime(article.published_at).strftime("%Y-%m-%d"), mark_safe(body))
    return page(book, f"article-{article.pk}.xhtml", article.title, content)


def cover_file_name(book: epub.EpubBook, column: Column) -> str | None:
    """The column's cover as the book's cover image, when it can be read."""
    if not column.cover:
        return None
    try:
        with column.cover.open("rb") as stored:
            data = stored.read(settings.IMAGE_MAX_BYTES + 1)
    except (OSError, SuspiciousFileOperation):
        logger.warning("EPUB: cover of column %s could not be read", column.pk)
        return None
    if len(data) > settings.IMAGE_MAX_BYTES:
        return None
    file_name = f"images/cover-{posixpath.basename(column.cover.name)}"
    book.set_cover(file_name, data, create_page=False)
    return file_name
