"""Shared by the importer tests: the seed documents, hand-built ZIP files, and a word-level text check."""

import html
import re
import struct
import zlib
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[3] / "fixtures" / "seeds"
XIAOBOT_SEED = "000_e8d6d63f2d1343cd.txt"
FEISHU_SEED = "001_2629df78d859b55e.txt"
STUDY_LIST_SEED = "002_a1fcf3bf9474e0a8.txt"
FEISHU_VIDEO_SEED = "003_8ce24fcfc7872989.txt"
BOOK_SEED = "004_6da403e4822e7372.txt"


def seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


# --- ZIP files written byte by byte, so a test can lie about sizes, set flags and name encodings,
# --- and add symlinks: everything zipfile.ZipFile refuses to write.


def build_zip(entries: list[dict]) -> bytes:
    """A ZIP of entries {"name": bytes, "data": bytes, optional "declared_size", "utf8", "symlink", "deflate"}."""
    local_parts = []
    central_parts = []
    offset = 0
    for entry in entries:
        name, data = entry["name"], entry["data"]
        deflate = entry.get("deflate", True)
        payload = zlib.compress(data)[2:-4] if deflate else data
        method = 8 if deflate else 0
        flags = 0x800 if entry.get("utf8") else 0
        crc = zlib.crc32(data)
        size = entry.get("declared_size", len(data))
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0, crc, len(payload), size, len(name), 0) + name + payload
        external = (0o120777 << 16) if entry.get("symlink") else (0o100644 << 16)
        central = (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                0x031E,
                20,
                flags,
                method,
                0,
                0,
                crc,
                len(payload),
                size,
                len(name),
                0,
                0,
                0,
                0,
                external,
                offset,
            )
            + name
        )
        local_parts.append(local)
        central_parts.append(central)
        offset += len(local)
    central_directory = b"".join(central_parts)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central_directory), offset, 0)
    return b"".join(local_parts) + central_directory + end


# --- Words, for checking that a parser kept every paragraph of its input.
# A CJK character is a word of its own; other words are runs of letters and digits. Numbers
# compare without leading zeros, since "010" in a title becomes the article number 10.

CJK = "\u3400-\u9fff\uf900-\ufaff"
WORD_RE = re.compile(rf"[{CJK}]|[^\W_{CJK}]+")
# The characters Python-Markdown (with tables) lets a backslash escape; "\\0" stays as written.
BACKSLASH_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()>#+\-.!|])")
AUTOLINK_RE = re.compile(r"<(https?://[^>\s]*)>")
LINK_TARGET_RE = re.compile(r"\]\([^)\n]*\)")
TAG_RE = re.compile(r"<[^>\n]*>")
# Control characters show nothing, so they do not separate words a reader sees.
INVISIBLE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def words(text: str, *, kind: str) -> list[str]:
    """The words of a text, read as one of three kinds.

    "plain": plain text as written. "escaped": Markdown produced by escaping plain text, so the
    escapes, entities and <url> autolinks are undone and nothing else is markup. "markdown": what a
    reader sees of Markdown, so link targets and HTML tags are not text either.
    """
    text = INVISIBLE_RE.sub("", text)
    if kind != "plain":
        text = AUTOLINK_RE.sub(r"\1", BACKSLASH_ESCAPE_RE.sub(r"\1", text))
    if kind == "markdown":
        # Tags before entities: "&lt;b&gt;" is text a reader sees, "<b>" is not.
        text = TAG_RE.sub("", LINK_TARGET_RE.sub("]", text))
    if kind != "plain":
        text = html.unescape(text)
    return [word.lstrip("0") or "0" if word.isascii() and word.isdigit() else word for word in WORD_RE.findall(text)]


def document_text(document) -> str:
    """Everything a parsed document shows, in order, as Markdown: titles, column fields, sections, numbers, bodies.

    Titles, sections and the author are plain text, so they are HTML-escaped to read as Markdown.
    """
    parts = [html.escape(document.title)]
    if document.column:
        column = document.column
        parts += [html.escape(column.title), column.intro_markdown, html.escape(column.author_name)]
    for article in document.articles:
        number = "" if article.number is None else str(article.number)
        parts += [html.escape(article.section), number, html.escape(article.title), article.body_markdown]
    return "\n".join(parts)


def missing_words(expected: list[str], actual: list[str]) -> list[str]:
    """The expected words that do not appear, in order, within actual (empty when all do)."""
    position = 0
    for index, word in enumerate(expected):
        try:
            position = actual.index(word, position) + 1
        except ValueError:
            return expected[index:]
    return []
