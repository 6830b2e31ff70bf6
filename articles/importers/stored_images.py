"""The images a document's articles use: found among the uploads, cleaned, and stored when the
document's transaction commits (a failed or dry-run import stores nothing).

Their smaller WebP copies (articles.images.VARIANT_WIDTHS) are made afterwards by a task, since
resizing every picture of a large import would hold the import up; the articles that show them
are then rendered again, and their bodies offer the copies (srcset). Until then they show the
image alone. `make_body_image_copies` does the same for images imported before copies were made.
"""

import posixpath
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils.html import escape, format_html
from django_tasks import task

from articles import page_cache
from articles.image_fields import BODY_IMAGE_FOLDER, store_body_image_copies
from articles.images import CleanImage, ImageRejected, sanitize_image
from articles.importers.base import ParsedArticle
from articles.importers.images import MARKDOWN_IMAGE_RE
from articles.models import Article

# Addresses looked for in article bodies per query.
ADDRESSES_PER_QUERY = 50


class DocumentImages:
    """Resolves the local images of one document against the uploaded files."""

    def __init__(self, *, folder: str, uploads: dict[str, bytes], warnings: list[str]):
        self.folder = folder  # where the document sat in its zip, for relative paths
        self.uploads = uploads
        self.warnings = warnings
        self.stored: dict[str, str] = {}  # path in the document → storage name
        self.payloads: dict[str, bytes] = {}  # storage name → bytes to write on commit

    def resolve(self, article: ParsedArticle) -> tuple[str, int, tuple[str, ...]]:
        """The body with each image pointing at its stored copy, or replaced by a visible placeholder
        (linking the image's original address when the document names one); and the counts."""
        found, missing = 0, []
        originals = dict(article.image_sources)

        def replace(match: re.Match) -> str:
            nonlocal found
            alt = match.group(1)[2:].split("](", 1)[0]
            path = match.group(2).strip("<>")
            if path.startswith(("http://", "https://")):
                return match.group(0)
            url = self.stored_url(path)
            original = originals.get(path, "")
            if url is None:
                missing.append(path)
                label = escape(alt or path)
                if original.startswith(("http://", "https://")):
                    label = format_html('{}（<a href="{}">原图</a>）', alt or path, original)
                return f'\n\n<div class="media-placeholder media-image">图片缺失：{label}</div>\n\n'
            found += 1
            # The original address stays in the Markdown for editors; readers never see comments.
            kept = f"<!-- 原图：{original.replace('--', '%2D%2D')} -->" if original.startswith(("http://", "https://")) else ""
            return f"![{alt}]({url}){kept}"

        body = MARKDOWN_IMAGE_RE.sub(replace, article.body_markdown)
        return body, found, tuple(dict.fromkeys(missing))

    def stored_url(self, path: str) -> str | None:
        if path in self.stored:
            return default_storage.url(self.stored[path])
        data = self.upload_data(path)
        if data is None:
            return None
        clean = self.clean(path, data)
        if clean is None:
            return None
        name = f"{BODY_IMAGE_FOLDER}/{clean.name}"
        self.stored[path] = name
        self.payloads[name] = clean.data
        return default_storage.url(name)

    def upload_data(self, path: str) -> bytes | None:
        normalized = posixpath.normpath(posixpath.join(self.folder, path.replace("\\", "/")))
        if normalized in self.uploads:
            return self.uploads[normalized]
        if path in self.uploads:
            return self.uploads[path]
        basename = posixpath.basename(path)
        candidates = [data for name, data in self.uploads.items() if posixpath.basename(name) == basename]
        return candidates[0] if len(candidates) == 1 else None

    def clean(self, path: str, data: bytes) -> CleanImage | None:
        """The image re-encoded without metadata (articles.images); None and a warning if it is refused."""
        try:
            return sanitize_image(data, max_bytes=settings.IMAGE_MAX_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
        except ImageRejected as rejected:
            self.warnings.append(f"图片 {path} 未导入（{rejected.message}），已用占位框代替。")
            return None

    def store_on_commit(self) -> None:
        payloads = dict(self.payloads)

        def store():
            for name, data in payloads.items():
                if not default_storage.exists(name):
                    default_storage.save(name, ContentFile(data))
            if payloads:
                make_body_image_copies_task.enqueue(names=list(payloads))

        transaction.on_commit(store)


@task()
def make_body_image_copies_task(*, names: list[str]) -> str:
    """The WebP copies of a document's newly stored images, and its articles rendered again."""
    rendered = body_images_make_copies(names=names)
    return f"{len(names)} images, {rendered} articles rendered again"


def body_images_make_copies(*, names: Iterable[str]) -> int:
    """Store the missing WebP copies of these body images, then render again every article that
    shows one, so its body offers them; the number of articles whose HTML changed."""
    urls = [default_storage.url(name) for name in names if store_body_image_copies(name)]
    seen: set[int] = set()
    changed = 0
    for start in range(0, len(urls), ADDRESSES_PER_QUERY):
        shows = Q()
        for url in urls[start : start + ADDRESSES_PER_QUERY]:
            shows |= Q(body__contains=url)
        articles = Article.objects.filter(shows).only("pk", "title", "description", "body", "body_html", "preview_html").order_by("pk")
        rendered = []
        for article in articles:
            if article.pk in seen:
                continue
            seen.add(article.pk)
            before = (article.body_html, article.preview_html)
            article.render()
            if (article.body_html, article.preview_html) != before:
                rendered.append(article)
        if rendered:
            with transaction.atomic():
                for article in rendered:
                    # Only if the text is still the one rendered: an editor's save meanwhile rendered it already.
                    changed += Article.objects.filter(pk=article.pk, body=article.body).update(body_html=article.body_html, preview_html=article.preview_html)
                page_cache.pages_changed()  # an update sends no signal; kept pages show the old HTML
    return changed
