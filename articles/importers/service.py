"""Writes parsed documents to the database: the one service behind admin's import page and the
`import_documents` command.

A dry run is the real import inside a transaction that is rolled back, so what the editor is shown
is exactly what confirming will do. Each file is its own transaction: a failed file writes
nothing and the other files of the batch still import. Image files reach storage only when the
transaction commits.

Rendering Markdown is most of an import's work, and SQLite takes one writer at a time, so a large
batch has the Markdown of its new columns rendered in worker processes a few documents ahead of
the one being written (see `prepared`).
"""

import hashlib
import logging
import multiprocessing
import os
import posixpath
import re
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.html import escape

from articles import page_cache, search_index
from articles.importers import decode_document, parse_document, read_archive
from articles.importers.base import DocumentError, ParsedArticle, ParsedDocument
from articles.images import CleanImage, ImageRejected, sanitize_image
from articles.importers.images import MARKDOWN_IMAGE_RE
from articles.markdown import RenderAhead, cut_preview, html_to_text, strip_cut_marker
from articles.models import SEARCH_FIELDS, Article, Author, Column, Section
from articles.services import column_refresh_stats

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
# Smaller batches finish before a worker process would have started; more than a few workers
# would only wait for the one process that writes.
RENDER_AHEAD_MIN_DOCUMENTS = 20
RENDER_AHEAD_MAX_WORKERS = 4
RENDER_AHEAD_DOCUMENTS = 8  # how far ahead of the document being written; bounds the memory held
# The search documents render() writes; the tags' document is kept by the tags themselves.
SEARCH_DOCUMENT_FIELDS = [name for name in SEARCH_FIELDS if name != "search_tags"]


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    KEPT_EDITED = "kept_edited"


@dataclass(frozen=True)
class Upload:
    """One uploaded file: a document, an image, or a zip of both."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ImportOptions:
    column_slug: str = ""  # import into this existing column; empty: the document's own column
    format: str | None = None  # None: detect
    split: str = "auto"
    free_first: int | None = None  # the first N articles of each document are free; None: the format's default
    publish: bool = True


@dataclass
class ArticleOutcome:
    title: str
    action: str
    section: str
    access: str
    characters: int
    full_text_missing: bool
    images_found: int
    images_missing: tuple[str, ...]
    url: str = ""


@dataclass
class FileReport:
    filename: str
    format: str = ""
    column_title: str = ""
    column_action: str = ""
    column_url: str = ""
    sections_created: list[str] = field(default_factory=list)
    articles: list[ArticleOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def count(self, action: str) -> int:
        return sum(1 for article in self.articles if article.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {action: self.count(action) for action in (Action.CREATE, Action.UPDATE, Action.UNCHANGED, Action.KEPT_EDITED)}


@dataclass
class ImportReport:
    dry_run: bool
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.files)

    @property
    def failed(self) -> list[FileReport]:
        return [report for report in self.files if not report.ok]


@dataclass(frozen=True)
class Document:
    filename: str
    text: str
    folder: str  # where the document sat in its zip, for resolving relative image paths


def import_uploads(*, uploads: list[Upload], options: ImportOptions, dry_run: bool) -> ImportReport:
    """Import every document among the uploads; images among them are matched to the documents."""
    report = ImportReport(dry_run=dry_run)
    documents, images = unpack(uploads, report)
    for document, parsed, ahead in prepared(documents, options):
        with ahead.in_use() if ahead else nullcontext():
            report.files.append(import_document(document=document, parsed=parsed, images=images, options=options, dry_run=dry_run))
    if not documents and not report.files:
        report.files.append(FileReport(filename="", error="没有找到可导入的文档（支持 .md、.markdown、.txt 或包含它们的 .zip）。"))
    if not dry_run:
        written = sum(file.count(Action.CREATE) + file.count(Action.UPDATE) for file in report.files)
        if written:
            # Articles are written in bulk, which sends no signals: retire the kept pages here.
            page_cache.pages_changed()
        if written >= ANALYZE_AFTER_ARTICLES:
            refresh_planner_statistics()
    return report


# After this many new or changed articles, PostgreSQL's planner statistics are gathered at once
# instead of whenever autovacuum gets round to it: until then search plans as if the tables
# were empty (a sequential scan over every search document, ten times slower).
ANALYZE_AFTER_ARTICLES = 500


def refresh_planner_statistics() -> None:
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Article._meta.db_table}, {Column._meta.db_table}, {Section._meta.db_table}")
        # The new articles' search entries, still in the GIN indexes' pending lists, which every
        # search reads through (four times slower) until autovacuum gets round to them.
        search_index.merge_pending_entries(connection)


def unpack(uploads: list[Upload], report: ImportReport) -> tuple[list[Document], dict[str, bytes]]:
    documents: list[Document] = []
    images: dict[str, bytes] = {}
    for upload in uploads:
        name = upload.name.replace("\\", "/")
        extension = posixpath.splitext(name)[1].lower()
        try:
            if extension == ".zip":
                for member in read_archive(upload.data, filename=name):
                    if member.kind == "image":
                        images[member.path] = member.data
                    else:
                        documents.append(decoded(member.path, member.data, folder=posixpath.dirname(member.path)))
            elif extension in IMAGE_EXTENSIONS:
                images[posixpath.basename(name)] = upload.data
            else:
                documents.append(decoded(posixpath.basename(name), upload.data, folder=""))
        except DocumentError as error:
            report.files.append(FileReport(filename=error.filename or name, error=str(error)))
    return documents, images


def decoded(filename: str, data: bytes, *, folder: str) -> Document:
    return Document(filename=filename, text=decode_document(data, filename), folder=folder)


def prepared(documents: list[Document], options: ImportOptions) -> Iterator[tuple[Document, ParsedDocument | None, RenderAhead | None]]:
    """Each document, with its parse (None: import_document parses it, and reports what fails) and,
    in a large batch, its Markdown being rendered ahead in worker processes."""
    executor = render_ahead_executor(len(documents))
    if executor is None:
        for document in documents:
            yield document, None, None
        return
    with executor:
        window: deque[tuple[Document, ParsedDocument | None, RenderAhead | None]] = deque()
        rendering_ahead = True
        for document in documents:
            try:
                parsed = parse_document(document.text, filename=document.filename, format=options.format, split=options.split)
            except Exception:
                parsed = None  # import_document parses it again and reports the error for this file alone
            ahead = None
            if rendering_ahead:
                try:
                    ahead = RenderAhead(executor, markdown_to_render_ahead(parsed, options))
                except Exception:
                    logger.warning("Rendering ahead stopped; the rest of the batch renders in this process", exc_info=True)
                    rendering_ahead = False
            window.append((document, parsed, ahead))
            if len(window) > RENDER_AHEAD_DOCUMENTS:
                yield window.popleft()
        yield from window


def render_ahead_executor(document_count: int) -> ProcessPoolExecutor | None:
    workers = min((os.cpu_count() or 1) - 1, RENDER_AHEAD_MAX_WORKERS)  # one core stays with the writer
    if document_count < RENDER_AHEAD_MIN_DOCUMENTS or workers < 1:
        return None
    # A forked worker only ever calls render_markdown, so the database connection it inherits stays
    # untouched; spawning would re-run an unguarded __main__ script in the worker. macOS cannot
    # fork safely, so it spawns.
    start_method = "fork" if sys.platform == "linux" else "spawn"
    try:
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start_method))
    except (OSError, NotImplementedError, ImportError):
        logger.warning("No worker processes here; the import renders in this process", exc_info=True)
        return None


def markdown_to_render_ahead(parsed: ParsedDocument | None, options: ImportOptions) -> list[str]:
    """What writing the document renders if its column is new, so that every article is: the
    column's intro, and each article's body and preview as Article.render() renders them. For an
    existing column most articles are usually unchanged, and the few that are not render inline."""
    if parsed is None or options.column_slug:
        return []
    try:
        if Column.objects.filter(import_ref=column_import_ref(parsed)).exists():
            return []
    except DatabaseError:
        return []  # import_document meets the same trouble and reports it for this file
    texts = [parsed.column.intro_markdown] if parsed.column else []
    for article in parsed.articles:
        texts.append(strip_cut_marker(article.body_markdown))
        texts.append(cut_preview(article.body_markdown).preview_markdown)
    return [text for text in texts if text]


def import_document(
    *, document: Document, images: dict[str, bytes], options: ImportOptions, dry_run: bool, parsed: ParsedDocument | None = None
) -> FileReport:
    report = FileReport(filename=document.filename)
    try:
        if parsed is None:
            parsed = parse_document(document.text, filename=document.filename, format=options.format, split=options.split)
        report.format = parsed.format
        report.warnings.extend(parsed.warnings)
        with transaction.atomic():
            DocumentWriter(parsed, document, images, options, report).write()
            if dry_run:
                transaction.set_rollback(True)
    except DocumentError as error:
        report.error = str(error)
    except (DatabaseError, ValueError) as error:
        logger.exception("Import of %s failed", document.filename)
        report.error = f"{document.filename}：写入数据库失败（{error.__class__.__name__}），本文件未导入任何内容。"
    if report.error:
        report.articles.clear()
        report.sections_created.clear()
    return report


def content_digest(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def column_import_ref(parsed: ParsedDocument) -> str:
    if parsed.column is not None and parsed.column.source_url:
        return parsed.column.source_url[:300]
    return (parsed.source_url or f"document:{parsed.title}")[:300]


class DocumentWriter:
    """Writes one parsed document inside the caller's transaction."""

    def __init__(self, parsed: ParsedDocument, document: Document, images: dict[str, bytes], options: ImportOptions, report: FileReport):
        self.parsed = parsed
        self.document = document
        self.images = images
        self.options = options
        self.report = report
        self.stored_images: dict[str, str] = {}  # path in the document → storage name
        self.image_payloads: dict[str, bytes] = {}  # storage name → bytes to write on commit
        self.column_created = False  # by this transaction, so it has no sections or articles to look up yet

    def write(self) -> None:
        column = self.target_column()
        sections = self.sections_for(column)
        if self.column_created:
            existing, taken_numbers = {}, set()
        else:
            # No ordering: the default one joins and sorts by column, and these are only looked up.
            # The stored HTML is replaced by render() whenever it is written, so it need not be read.
            existing = {
                article.import_ref: article
                for article in Article.objects.filter(column=column).exclude(import_ref="").defer("body_html", "preview_html", *SEARCH_FIELDS).order_by()
            }
            taken_numbers = set(Article.objects.filter(column=column).order_by().values_list("number", flat=True))
        next_number = max(taken_numbers, default=0) + 1
        published_at = self.default_published_at()
        new_articles: list[Article] = []
        located: list[tuple[ArticleOutcome, Article]] = []
        changed: list[Article] = []
        free_first = self.free_first_count()

        for index, (parsed_article, ref) in enumerate(zip(self.parsed.articles, self.import_refs(), strict=True)):
            body, found, missing = self.resolve_images(parsed_article)
            digest = content_digest(parsed_article.title, body)
            section = sections.get(parsed_article.section)
            article = existing.get(ref)
            if article is None:
                number = parsed_article.number if self.keeps_numbers() and parsed_article.number not in taken_numbers and parsed_article.number else None
                if number is None:
                    while next_number in taken_numbers:
                        next_number += 1
                    number = next_number
                taken_numbers.add(number)
                article = Article(
                    column=column,
                    section=section,
                    number=number,
                    title=parsed_article.title,
                    body=body,
                    access=self.access_for(parsed_article, index, free_first),
                    status=Article.Status.PUBLISHED if self.options.publish else Article.Status.DRAFT,
                    published_at=self.published_at_for(parsed_article, published_at),
                    source_url=parsed_article.source_url or self.parsed.source_url,
                    full_text_missing=parsed_article.full_text_missing,
                    import_ref=ref,
                    import_digest=digest,
                )
                article.render()
                new_articles.append(article)
                action = Action.CREATE
            elif content_digest(article.title, article.body) != article.import_digest:
                action = Action.KEPT_EDITED
                self.report.warnings.append(f"《{article.title}》导入后已被编辑，未覆盖编辑者的修改。")
            elif digest == article.import_digest:
                action = Action.UNCHANGED
            else:
                article.title = parsed_article.title
                article.body = body
                article.section = section
                article.full_text_missing = parsed_article.full_text_missing
                article.source_url = parsed_article.source_url or self.parsed.source_url
                article.import_digest = digest
                article.updated_at = timezone.now()  # bulk_update does not run auto_now
                article.render()
                changed.append(article)
                action = Action.UPDATE
            outcome = ArticleOutcome(
                title=parsed_article.title,
                action=action,
                section=parsed_article.section,
                access=article.access,
                characters=len(html_to_text(article.body_html)) if action in (Action.CREATE, Action.UPDATE) else len(body),
                full_text_missing=parsed_article.full_text_missing,
                images_found=found,
                images_missing=missing,
            )
            self.report.articles.append(outcome)
            located.append((outcome, article))

        Article.objects.bulk_create(new_articles, batch_size=500)
        for outcome, article in located:
            # New articles have their primary keys only now, after bulk_create.
            outcome.url = article.get_absolute_url()
        if changed:
            Article.objects.bulk_update(
                changed,
                ["title", "body", "body_html", "preview_html", "has_more", "summary", "word_count", *SEARCH_DOCUMENT_FIELDS, "section", "full_text_missing", "source_url", "import_digest", "updated_at"],
                batch_size=500,
            )
        column_refresh_stats(column_id=column.pk)
        self.store_images_on_commit()

    # The column

    def target_column(self) -> Column:
        if self.options.column_slug:
            column = Column.objects.filter(slug=self.options.column_slug).first()
            if column is None:
                raise DocumentError(self.document.filename, f"找不到专栏“{self.options.column_slug}”。")
            self.note_column(column, "existing")
            if self.parsed.column is not None:
                self.update_column_figures(column)
            return column
        ref = column_import_ref(self.parsed)
        column = Column.objects.filter(import_ref=ref).order_by("pk").first()  # import_ref is unique
        if column is not None:
            self.note_column(column, "existing")
            if self.parsed.column is not None:
                self.update_column_figures(column)
            return column
        column = self.create_column(ref)
        self.column_created = True
        self.note_column(column, "create")
        return column

    def note_column(self, column: Column, action: str) -> None:
        self.report.column_title = column.title
        self.report.column_action = action
        self.report.column_url = column.get_absolute_url()

    def create_column(self, ref: str) -> Column:
        described = self.parsed.column
        column = Column(
            title=(described.title if described else self.parsed.title)[:120],
            intro=described.intro_markdown if described else "",
            status=Column.Status.PUBLISHED if self.options.publish else Column.Status.DRAFT,
            stated_reader_count=(described.stated_reader_count or 0) if described else 0,
            stated_article_count=described.stated_article_count if described else None,
            source_url=(described.source_url if described else self.parsed.source_url)[:500],
            source_updated_on=described.updated_on if described else None,
            import_ref=ref,
        )
        column.save()
        if described and described.author_name:
            author = Author.objects.filter(display_name=described.author_name).first() or Author.objects.create(
                display_name=described.author_name[:80]
            )
            column.authors.add(author)
        return column

    def update_column_figures(self, column: Column) -> None:
        """A newer page of the same source updates the figures it states; an older one does not."""
        described = self.parsed.column
        if column.source_updated_on and described.updated_on and described.updated_on < column.source_updated_on:
            self.report.warnings.append("这份页面比已导入的版本旧，专栏的读者数等数字保持不变。")
            return
        fields = {
            "stated_reader_count": described.stated_reader_count,
            "stated_article_count": described.stated_article_count,
            "source_updated_on": described.updated_on,
        }
        fields = {name: value for name, value in fields.items() if value is not None and getattr(column, name) != value}
        if fields:
            Column.objects.filter(pk=column.pk).update(**fields)
            for name, value in fields.items():
                setattr(column, name, value)
            self.report.column_action = "update"

    # Sections, numbers, access, dates

    def sections_for(self, column: Column) -> dict[str, Section]:
        names = sorted(
            {article.section for article in self.parsed.articles if article.section},
            key=lambda name: min(
                (article.number if article.number is not None else position)
                for position, article in enumerate(self.parsed.articles)
                if article.section == name
            ),
        )
        if self.column_created:
            sections, position = {}, 0
        else:
            sections = {section.title: section for section in Section.objects.filter(column=column, title__in=names).order_by()}
            position = max(Section.objects.filter(column=column).order_by().values_list("position", flat=True), default=0)
        new_sections = []
        for name in names:
            if name not in sections:
                position += 1
                sections[name] = Section(column=column, title=name[:120], position=position)
                new_sections.append(sections[name])
                self.report.sections_created.append(name)
        Section.objects.bulk_create(new_sections)  # SQLite and PostgreSQL set the new primary keys
        return sections

    def keeps_numbers(self) -> bool:
        """Only a column page's own numbering is the column's order; a document's chapters follow what is there."""
        return self.parsed.column is not None and not self.options.column_slug

    def import_refs(self) -> list[str]:
        """A stable key per article: the same post or chapter of the same source gets the same key."""
        base = self.parsed.source_url or (self.parsed.column.source_url if self.parsed.column else "") or f"file:{self.document.filename}"
        refs, seen = [], {}
        for article in self.parsed.articles:
            key = f"{article.number:03d}" if self.parsed.column is not None and article.number is not None else article.title
            seen[key] = seen.get(key, 0) + 1
            suffix = f"~{seen[key]}" if seen[key] > 1 else ""
            refs.append(f"{base}#{key}{suffix}"[:200])
        return refs

    def free_first_count(self) -> int:
        if self.options.free_first is not None:
            return self.options.free_first
        return 1 if len(self.parsed.articles) > 1 and self.parsed.column is None else 0

    def access_for(self, article: ParsedArticle, index: int, free_first: int) -> str:
        if article.full_text_missing:
            return Article.Access.MEMBERS
        if index < free_first:
            return Article.Access.FREE
        if self.parsed.column is not None and self.options.free_first is None:
            # A column page shows some posts in full: those are its free samples (试读).
            return Article.Access.FREE
        return Article.Access.MEMBERS

    def default_published_at(self) -> datetime:
        described = self.parsed.column
        if described and described.updated_on:
            return self.midnight(described.updated_on)
        return timezone.now()

    def published_at_for(self, article: ParsedArticle, default: datetime) -> datetime:
        return self.midnight(article.published_on) if article.published_on else default

    @staticmethod
    def midnight(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(8, 0)))

    # Images

    def resolve_images(self, article: ParsedArticle) -> tuple[str, int, tuple[str, ...]]:
        """Point each image at its stored copy, or replace it with a visible placeholder."""
        found, missing = 0, []

        def replace(match: re.Match) -> str:
            nonlocal found
            alt = match.group(1)[2:].split("](", 1)[0]
            path = match.group(2).strip("<>")
            if path.startswith(("http://", "https://")):
                return match.group(0)
            url = self.stored_url(path)
            if url is None:
                missing.append(path)
                label = escape(alt or path)
                return f'\n\n<div class="media-placeholder media-image">图片缺失：{label}</div>\n\n'
            found += 1
            return f"![{alt}]({url})"

        body = MARKDOWN_IMAGE_RE.sub(replace, article.body_markdown)
        return body, found, tuple(dict.fromkeys(missing))

    def stored_url(self, path: str) -> str | None:
        if path in self.stored_images:
            return default_storage.url(self.stored_images[path])
        data = self.image_data(path)
        if data is None:
            return None
        clean = self.clean_image(path, data)
        if clean is None:
            return None
        name = f"imports/{clean.name}"
        self.stored_images[path] = name
        self.image_payloads[name] = clean.data
        return default_storage.url(name)

    def image_data(self, path: str) -> bytes | None:
        normalized = posixpath.normpath(posixpath.join(self.document.folder, path.replace("\\", "/")))
        if normalized in self.images:
            return self.images[normalized]
        if path in self.images:
            return self.images[path]
        basename = posixpath.basename(path)
        candidates = [data for name, data in self.images.items() if posixpath.basename(name) == basename]
        return candidates[0] if len(candidates) == 1 else None

    def clean_image(self, path: str, data: bytes) -> CleanImage | None:
        """The image re-encoded without metadata (articles.images); None and a warning if it is refused."""
        try:
            return sanitize_image(data, max_bytes=settings.IMAGE_MAX_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
        except ImageRejected as rejected:
            self.report.warnings.append(f"图片 {path} 未导入（{rejected.message}），已用占位框代替。")
            return None

    def store_images_on_commit(self) -> None:
        payloads = dict(self.image_payloads)

        def store():
            for name, data in payloads.items():
                if not default_storage.exists(name):
                    default_storage.save(name, ContentFile(data))

        transaction.on_commit(store)
