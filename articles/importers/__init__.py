"""Document import, the pure half: uploaded text in, plain data out (see base.py for the contract).

    decode_document(bytes, filename)  -> str              decoding.py
    read_archive(bytes)               -> [ArchiveMember]  archive.py
    detect_format(text, filename)     -> format name      detect.py
    parse_document(text, ...)         -> ParsedDocument   one module per format

Nothing here touches the database; the import service writes what parse_document returns.
"""

from articles.importers import book, feishu, markdown_doc, xiaobot
from articles.importers.archive import ArchiveLimits, ArchiveMember, read_archive
from articles.importers.base import (
    ALLOWED_SPLITS,
    DEFAULT_SPLITS,
    FORMAT_LABELS,
    FORMATS,
    SPLIT_LABELS,
    DocumentError,
    ParsedArticle,
    ParsedColumn,
    ParsedDocument,
)
from articles.importers.decoding import decode_document, normalize_newlines
from articles.importers.detect import detect_format

__all__ = [
    "ArchiveLimits",
    "ArchiveMember",
    "DocumentError",
    "ParsedArticle",
    "ParsedColumn",
    "ParsedDocument",
    "decode_document",
    "detect_format",
    "parse_document",
    "read_archive",
]


def parse_document(text: str, *, filename: str = "", format: str | None = None, split: str = "auto") -> ParsedDocument:
    """Parse a decoded document; the format is detected from the content when not given."""
    text = normalize_newlines(text)
    if not text.strip():
        raise DocumentError(filename, "文档是空的，没有可以导入的内容")
    format = format or detect_format(text, filename)
    if format not in FORMATS:
        raise DocumentError(filename, f"不支持的文档格式「{format}」，可选：{'、'.join(FORMATS)}")
    if split not in ALLOWED_SPLITS[format]:
        choices = "、".join(f"{SPLIT_LABELS[choice]}（{choice}）" for choice in ALLOWED_SPLITS[format])
        raise DocumentError(filename, f"{FORMAT_LABELS[format]}不能使用拆分方式「{split}」，可选：{choices}")
    if split == "auto":
        split = DEFAULT_SPLITS[format]

    if format == "xiaobot":
        return xiaobot.parse(text, filename=filename)
    parser = {"feishu": feishu.parse, "markdown": markdown_doc.parse, "book": book.parse}[format]
    return parser(text, filename=filename, split=split)
