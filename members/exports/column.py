"""What a column's export holds, written through any writer (archive.py: a folder or a zip):

    <slug>/README                    the column: title, tagline, introduction, what is where
    <slug>/articles/007-<slug>.md    each article, with front matter (markdown.py)
    <slug>/articles/img/…            the images the articles show (images.py)
    <slug>/members.csv               readers and orders (tables.py)
    <slug>/orders.csv

The README has no extension, so importing the zip reads the articles alone: the import takes
every .md and .txt file for a document. The export holds paid text and readers' addresses; which
articles go in is asked of members.access like every other outlet of text, for the person
exporting (None: an operator at the server, who reads everything).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from articles.models import Article, Column
from members.access import may_preview_drafts, readable_filter
from members.exports.archive import Write
from members.exports.images import ImageCopies
from members.exports.markdown import NUMBER_WIDTH, ExportedArticle, file_stem, markdown_file
from members.exports.tables import MEMBERS_HEADER, ORDERS_HEADER, csv_bytes, members_rows, orders_rows

Progress = Callable[[int, int], None]  # (articles done, articles in all)
CHUNK = 200


@dataclass
class ExportSummary:
    articles: int = 0
    images: int = 0
    members: int = 0
    orders: int = 0
    missing_images: list[str] = field(default_factory=list)


def exported_articles(column: Column, reader=None):
    """The column's articles in order, as much of it as `reader` may read in full."""
    articles = Article.objects.filter(column=column)
    if reader is not None:
        articles = articles.filter(readable_filter(reader))
        if not may_preview_drafts(reader):
            articles = articles.published()
    return articles.select_related("section").prefetch_related("tags").order_by("number")


def column_export_write(*, column: Column, write: Write, reader=None, progress: Progress | None = None) -> ExportSummary:
    """Write the whole export; `progress` hears after each article."""
    progress = progress or (lambda done, total: None)
    articles = exported_articles(column, reader)
    total = articles.count()
    last_number = articles.values_list("number", flat=True).last() or 0
    width = max(NUMBER_WIDTH, len(str(last_number)))
    root = column.slug
    images = ImageCopies()
    summary = ExportSummary()
    progress(0, total)
    for article in articles.iterator(chunk_size=CHUNK):
        body, new_images = images.rewrite(article.body)
        for name, path in new_images:
            write(f"{root}/articles/{path}", images.read(name))
        stem = file_stem(article.number, article.title, width=width)
        write(f"{root}/articles/{stem}.md", markdown_file(exported(article, body), slug=stem).encode())
        summary.articles += 1
        progress(summary.articles, total)
    summary.images = len(images.paths)
    summary.missing_images = images.missing
    members, orders = members_rows(column), orders_rows(column)
    summary.members, summary.orders = len(members), len(orders)
    write(f"{root}/members.csv", csv_bytes(MEMBERS_HEADER, members))
    write(f"{root}/orders.csv", csv_bytes(ORDERS_HEADER, orders))
    write(f"{root}/README", readme(column, summary).encode())
    return summary


def exported(article: Article, body: str) -> ExportedArticle:
    return ExportedArticle(
        number=article.number,
        title=article.title,
        published_at=article.published_at,
        body=body,
        tags=tuple(sorted(tag.name for tag in article.tags.all())),
        section=article.section.title if article.section else "",
        access=article.access,
        draft=article.status == Article.Status.DRAFT,
        description=article.description,
        source_url=article.source_url,
    )


def readme(column: Column, summary: ExportSummary) -> str:
    """The column's own text, and a note on the layout. English and Chinese: it goes to authors
    who may hand it to anyone."""
    lines = [f"# {column.title}", ""]
    if column.tagline:
        lines += [column.tagline, ""]
    if column.intro.strip():
        lines += [column.intro.strip(), ""]
    lines += [
        "---",
        "",
        f"articles/   {summary.articles} 篇文章 / articles (Markdown, front matter: title, date, tags, categories, access, slug)",
        f"articles/img/   {summary.images} 张图片 / images",
        f"members.csv   {summary.members} 位读者 / memberships",
        f"orders.csv   {summary.orders} 个订单 / orders",
        "",
        "再次导入：在后台「文档导入」上传这个 zip，或 python manage.py import_documents <zip> --column <slug>。",
        "To import again: upload this zip in admin → Import documents, or run python manage.py import_documents <zip> --column <slug>.",
    ]
    if summary.missing_images:
        lines += ["", "导出时找不到这些图片，链接保持原样 / images whose files were missing, left linked as they were:"]
        lines += [f"- {address}" for address in summary.missing_images]
    return "\n".join(lines) + "\n"
