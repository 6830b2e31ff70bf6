"""Writes parsed documents to the database: the one service behind admin's import page and the
`import_documents` command.

A dry run is the real import inside a transaction that is rolled back, so what the editor is shown
is exactly what confirming will do. Each file is its own transaction: a failed file writes
nothing and the other files of the batch still import. Image files reach storage only when the
transaction commits. An ImportJournal hears of each document as it starts and ends (inside its
transaction when it wrote anything), which is how a background run shows progress, stops when
asked and resumes without doing a document twice (articles/importers/batches.py).

Rendering Markdown is most of an import's work, and SQLite takes one writer at a time, so a large
batch has the Markdown of its new columns rendered in worker processes a few documents ahead of
the one being written (see `prepared`).
"""

import logging
import multiprocessing
import os
import posixpath
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import DatabaseError, transaction

from articles import page_cache, search_index
from articles.importers import decode_document, parse_document, read_archive
from articles.importers.apply import DocumentWriter
from articles.importers.base import DocumentError, ParsedDocument
from articles.importers.plan import column_import_ref
from articles.importers.results import Action, ArticleOutcome, FileReport, ImportReport
from articles.markdown import cut_preview, strip_cut_marker
from articles.models import Article, Column, Section
from articles.render_ahead import RenderAhead

__all__ = [
    "Action",
    "ArticleOutcome",
    "Document",
    "FileReport",
    "ImportJournal",
    "ImportOptions",
    "ImportReport",
    "Upload",
    "import_uploads",
]

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
# Smaller batches finish before a worker process would have started; more than a few workers
# would only wait for the one process that writes.
RENDER_AHEAD_MIN_DOCUMENTS = 20
RENDER_AHEAD_MAX_WORKERS = 4
RENDER_AHEAD_DOCUMENTS = 8  # a group: parsed and rendered while the group before it is written; bounds the memory held
# After this many new or changed articles, PostgreSQL's planner statistics are gathered at once
# instead of whenever autovacuum gets round to it: until then search plans as if the tables
# were empty (a sequential scan over every search document, ten times slower).
ANALYZE_AFTER_ARTICLES = 500


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


@dataclass(frozen=True)
class Document:
    filename: str
    text: str
    folder: str  # where the document sat in its zip, for resolving relative image paths


@dataclass(frozen=True)
class Unreadable:
    """An upload that could not be read as documents (a broken zip, undecodable text)."""

    filename: str
    error: str


class ImportJournal:
    """Hears how a run goes, a document at a time. This one keeps nothing: an import from the
    command line runs start to end in one go."""

    def begin(self, entries: list["Document | Unreadable"]) -> set[int]:
        """Before the first document; returns the positions already done by an earlier run."""
        return set()

    def starting(self, position: int, entry: "Document | Unreadable") -> bool:
        """Before each document; False stops the run here (the editor cancelled it, or another run took over)."""
        return True

    def record(self, position: int, entry: "Document | Unreadable", report: FileReport) -> None:
        """A document is done: inside its transaction when it wrote anything, so both commit together."""


def import_uploads(*, uploads: list[Upload], options: ImportOptions, dry_run: bool, journal: ImportJournal | None = None) -> ImportReport:
    """Import every document among the uploads; images among them are matched to the documents."""
    journal = journal or ImportJournal()
    report = ImportReport(dry_run=dry_run)
    entries, images = unpack(uploads)
    done = journal.begin(entries)
    pending = [(position, entry) for position, entry in enumerate(entries) if position not in done]
    documents = [(position, entry) for position, entry in pending if isinstance(entry, Document)]
    for position, entry in pending:
        if isinstance(entry, Unreadable):
            file = FileReport(filename=entry.filename, error=entry.error)
            journal.record(position, entry, file)
            report.files.append(file)
    for (position, document), parsed, ahead in prepared(documents, options):
        if not journal.starting(position, document):
            break
        with ahead.in_use() if ahead else nullcontext():
            file = import_document(
                document=document,
                images=images,
                options=options,
                dry_run=dry_run,
                parsed=parsed,
                record=lambda file, position=position, document=document: journal.record(position, document, file),
            )
        report.files.append(file)
    if not entries:
        report.files.append(FileReport(filename="", error="没有找到可导入的文档（支持 .md、.markdown、.txt 或包含它们的 .zip）。"))
    if not dry_run:
        written = sum(file.count(Action.CREATE) + file.count(Action.UPDATE) for file in report.files)
        if written:
            # Articles are written in bulk, which sends no signals: retire the kept pages here.
            page_cache.pages_changed()
        if written >= ANALYZE_AFTER_ARTICLES:
            refresh_planner_statistics()
    return report


def refresh_planner_statistics() -> None:
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Article._meta.db_table}, {Column._meta.db_table}, {Section._meta.db_table}")
        # The new articles' search entries, still in the GIN indexes' pending lists, which every
        # search reads through (four times slower) until autovacuum gets round to them.
        search_index.merge_pending_entries(connection)


def unpack(uploads: list[Upload]) -> tuple[list[Document | Unreadable], dict[str, bytes]]:
    """The documents among the uploads in upload order (an unreadable upload in its place), and the images by path."""
    entries: list[Document | Unreadable] = []
    images: dict[str, bytes] = {}
    for upload in uploads:
        name = upload.name.replace("\\", "/")
        extension = posixpath.splitext(name)[1].lower()
        try:
            if extension == ".zip":
                members = []
                for member in read_archive(upload.data, filename=name):
                    if member.kind == "image":
                        images[member.path] = member.data
                    else:
                        members.append(decoded(member.path, member.data, folder=posixpath.dirname(member.path)))
                entries.extend(members)
            elif extension in IMAGE_EXTENSIONS:
                images[posixpath.basename(name)] = upload.data
            else:
                entries.append(decoded(posixpath.basename(name), upload.data, folder=""))
        except DocumentError as error:
            entries.append(Unreadable(filename=error.filename or name, error=str(error)))
    return entries, images


def decoded(filename: str, data: bytes, *, folder: str) -> Document:
    return Document(filename=filename, text=decode_document(data, filename), folder=folder)


def prepared(documents: list[tuple[int, Document]], options: ImportOptions) -> Iterator[tuple[tuple[int, Document], ParsedDocument | None, RenderAhead | None]]:
    """Each document, with its parse (None: import_document parses it, and reports what fails) and,
    in a large batch, its Markdown being rendered ahead in worker processes: a group of documents
    is parsed and sent to render while the group before it is written."""
    executor = render_ahead_executor(len(documents))
    if executor is None:
        for item in documents:
            yield item, None, None
        return
    with executor:
        rendering_ahead = True
        ready: list = []
        for start in range(0, len(documents), RENDER_AHEAD_DOCUMENTS):
            group = documents[start : start + RENDER_AHEAD_DOCUMENTS]
            parses = [parsed_or_none(document, options) for _, document in group]
            new_columns = columns_to_create(parses, options)
            aheads: list[RenderAhead | None] = [None] * len(group)
            for index, parsed in enumerate(parses):
                if not rendering_ahead or parsed is None or column_import_ref(parsed) not in new_columns:
                    continue
                try:
                    aheads[index] = RenderAhead(executor, markdown_to_render_ahead(parsed))
                except Exception:
                    logger.warning("Rendering ahead stopped; the rest of the batch renders in this process", exc_info=True)
                    rendering_ahead = False
            yield from ready
            ready = list(zip(group, parses, aheads, strict=True))
        yield from ready


def parsed_or_none(document: Document, options: ImportOptions) -> ParsedDocument | None:
    try:
        return parse_document(document.text, filename=document.filename, format=options.format, split=options.split)
    except Exception:
        return None  # import_document parses it again and reports the error for this file alone


def columns_to_create(parses: list[ParsedDocument | None], options: ImportOptions) -> set[str]:
    """The column references among the parses that no column has yet, in one query. Documents
    imported into a chosen column create none."""
    if options.column_slug:
        return set()
    refs = {column_import_ref(parsed) for parsed in parses if parsed is not None}
    try:
        existing = set(Column.objects.filter(import_ref__in=refs).values_list("import_ref", flat=True))
    except DatabaseError:
        return set()  # import_document meets the same trouble and reports it for each file
    return refs - existing


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


def markdown_to_render_ahead(parsed: ParsedDocument) -> list[str]:
    """What writing a document into a new column renders, so that every article is: the column's
    intro, and each article's body and preview as Article.render() renders them. For an existing
    column most articles are usually unchanged, and the few that are not render inline."""
    texts = [parsed.column.intro_markdown] if parsed.column else []
    for article in parsed.articles:
        texts.append(strip_cut_marker(article.body_markdown))
        texts.append(cut_preview(article.body_markdown).preview_markdown)
    return [text for text in texts if text]


def import_document(
    *,
    document: Document,
    images: dict[str, bytes],
    options: ImportOptions,
    dry_run: bool,
    parsed: ParsedDocument | None = None,
    record=None,
) -> FileReport:
    """Import one document in its own transaction. `record(report)` is called once the document is
    done: inside the transaction when it wrote anything, so the record commits with the rows."""
    report = FileReport(filename=document.filename)
    recorded = False
    try:
        if parsed is None:
            parsed = parse_document(document.text, filename=document.filename, format=options.format, split=options.split)
        report.format = parsed.format
        report.warnings.extend(parsed.warnings)
        with transaction.atomic():
            DocumentWriter(parsed=parsed, filename=document.filename, folder=document.folder, uploads=images, options=options, report=report).write()
            if dry_run:
                transaction.set_rollback(True)
            elif record is not None:
                record(report)
                recorded = True
    except DocumentError as error:
        report.error = str(error)
    except (DatabaseError, ValueError) as error:
        logger.exception("Import of %s failed", document.filename)
        report.error = f"{document.filename}：写入数据库失败（{error.__class__.__name__}），本文件未导入任何内容。"
    if report.error:
        recorded = False  # the transaction, and the record in it, rolled back
        report.articles.clear()
        report.sections_created.clear()
        report.not_listed.clear()
    if record is not None and not recorded:
        record(report)
    return report
