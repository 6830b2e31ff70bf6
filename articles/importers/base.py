"""What every importer returns, and the one error they raise.

The parsers are pure: text in, these frozen dataclasses out. The import service writes them to
the database; it relies on the field names and meanings here exactly.
"""

from dataclasses import dataclass
from datetime import date, datetime

FORMATS = ("xiaobot", "feishu", "markdown", "book")
FORMAT_LABELS = {
    "xiaobot": "小报童专栏页面",
    "feishu": "飞书导出文档",
    "markdown": "Markdown 文档",
    "book": "纯文本书稿",
}

SPLITS = ("auto", "whole", "heading", "chapter")
SPLIT_LABELS = {"auto": "自动", "whole": "整篇", "heading": "按标题", "chapter": "按章"}
# A xiaobot page is one article per post whatever the editor asks, so it only takes "auto".
ALLOWED_SPLITS = {
    "xiaobot": ("auto",),
    "feishu": ("auto", "whole", "heading"),
    "markdown": ("auto", "whole", "heading"),
    "book": ("auto", "whole", "chapter"),
}
DEFAULT_SPLITS = {"xiaobot": "auto", "feishu": "whole", "markdown": "whole", "book": "chapter"}

# The database columns these end up in (Article.title, Column.title, Section.title).
ARTICLE_TITLE_MAX_CHARS = 200
COLUMN_TITLE_MAX_CHARS = 120
SECTION_TITLE_MAX_CHARS = 120

UNTITLED = "未命名文档"


class DocumentError(Exception):
    """An upload that cannot be imported. The message is shown to editors as it is, in Chinese."""

    def __init__(self, filename: str, problem: str):
        self.filename = filename
        self.problem = problem
        super().__init__(f"{filename}：{problem}" if filename else problem)


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    body_markdown: str  # Markdown; images as ![alt](relative/path) with forward slashes
    # The number the source states for this post or chapter when the document numbers its articles
    # consistently (every one, no repeats); None otherwise: the order is then the articles' order.
    number: int | None
    section: str  # "" when none
    source_url: str = ""
    full_text_missing: bool = False
    image_paths: tuple[str, ...] = ()  # every local image in body_markdown, normalized, in order, no duplicates
    # What the document states (front matter, a post's date line, a 发布时间 line); None: not stated.
    # A datetime without tzinfo is in the site's time zone; a date is that day.
    published_at: date | datetime | None = None
    # What identifies the article within its source across re-imports (articles/importers/identity.py):
    # its stated number, a front-matter slug, or its normalized title. Never its position.
    identity: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""  # a summary the document states (front matter); "" derives it from the text
    draft: bool = False  # the document says it is a draft (front matter)
    access: str = ""  # "free" or "members" when the document says (front matter); "": the import decides
    # (local path, original URL) for images whose source names where they came from (Feishu's
    # data-original-src); the URL stands in when the local file is not among the uploads.
    image_sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ParsedColumn:
    title: str
    author_name: str
    intro_markdown: str
    stated_reader_count: int | None
    stated_article_count: int | None
    updated_on: date | None
    source_url: str  # refer= removed


@dataclass(frozen=True)
class ParsedDocument:
    format: str  # "xiaobot" | "feishu" | "markdown" | "book"
    title: str
    source_url: str
    column: ParsedColumn | None  # only formats that describe a column (xiaobot)
    articles: tuple[ParsedArticle, ...]
    warnings: tuple[str, ...]  # human messages in Chinese, e.g. a post without text
    # The source lists its newest article first (a xiaobot page): new articles without a stated
    # number are numbered oldest first, after the column's existing ones.
    newest_first: bool = False
    # Lines the parser left out as a download site's boilerplate (a book's "www.… 免费下载"), for the dry run.
    dropped_lines: tuple[str, ...] = ()


def fit_title(title: str, limit: int, warnings: list[str]) -> str:
    """The title cut to the database limit, with a warning when it had to be cut."""
    if len(title) <= limit:
        return title
    warnings.append(f"标题过长，已截断为 {limit} 个字：{title[:20]}…")
    return title[: limit - 1] + "…"


def filename_stem(filename: str) -> str:
    """The upload's name without folder and extension: "资料/笔记.md" → "笔记"."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0].strip() if "." in name else name.strip()
