"""A Markdown document (a study list, notes, a blog post, anything written in Markdown) as articles.

The title is the front matter's title (front_matter.py), else the H1 that opens the document;
a "> 来源：…" line near the top is its source URL. "whole" keeps one article; "heading" starts an
article at each top-level heading below the title. The Markdown itself is kept as written: raw
HTML in it is the sanitizer's business.

What the document states about itself carries over to its articles: the front matter's date, or
else a "出品时间：2024 年 3 月 20 日" line near the top (the line stays, it is text); its tags;
its first category as the section (a hierarchy's top: sections are one flat list per column), the
other categories as tags; its summary; whether it is a draft; whether it is free (`access`).
An article is identified by the front matter's slug, else by its title: each part of a split
document by its own heading.
"""

import re
from collections import Counter
from collections.abc import Callable, Mapping

from articles.importers.base import ARTICLE_TITLE_MAX_CHARS, SECTION_TITLE_MAX_CHARS, UNTITLED, ParsedArticle, ParsedDocument, filename_stem, fit_title
from articles.importers.dates import labelled_date
from articles.importers.front_matter import FrontMatter, read_front_matter
from articles.importers.identity import distinct, normalize_title, slug_identity, title_identity
from articles.importers.images import ImageCollector
from articles.importers.links import URL_RE, autolink_markdown, split_trailing_punctuation
from articles.importers.markdown_source import demote_headings, fenced_code_mask, parse_heading, plain_text_of_inline, trim_blank_lines

SOURCE_LINE_RE = re.compile(r"^[ ]{0,3}>[ \t]*(?:原文)?(?:来源|出处|原文链接|原文地址)[ \t]*[：:](.*)$")
LINK_TARGET_RE = re.compile(r"\]\(\s*<?([^()\s<>]+)")
# The source line sits right under the title; further down a quoted "来源：" is ordinary text.
SOURCE_LINE_WITHIN = 3


def parse(text: str, *, filename: str, split: str) -> ParsedDocument:
    return parse_markdown(text, filename=filename, split=split, format_name="markdown")


def parse_markdown(
    text: str,
    *,
    filename: str,
    split: str,
    format_name: str,
    transform_body: Callable[[list[str]], list[str]] | None = None,
    front_matter: bool = True,
    image_sources: Mapping[str, str] | None = None,
) -> ParsedDocument:
    """The document as articles. `front_matter=False` for Markdown made from another format, where
    a leading "---" is a rule; `image_sources` maps local image paths to their original URLs."""
    stated = read_front_matter(text, filename=filename) if front_matter else FrontMatter(body=text)
    image_sources = image_sources or {}
    warnings = list(stated.warnings)
    lines = stated.body.split("\n")
    title, lines = take_title(lines, filename, stated.title)
    source_url, lines = take_source_line(lines)
    published_at = stated.published_at or labelled_date(lines)
    if transform_body:
        lines = transform_body(lines)

    if split == "heading":
        chunks = split_at_top_headings(lines, title, warnings)
    else:
        chunks = [(title, lines)]
    numbered = split == "heading" and len(chunks) > 1
    if numbered:
        # The parts of one post: the post's title groups them, its categories become their tags.
        section = title
        tags = stated.tags + stated.categories
        identities = distinct([title_identity(chunk_title) for chunk_title, _ in chunks])
    else:
        section = stated.categories[0] if stated.categories else ""
        tags = stated.tags + stated.categories[1:]
        identities = [slug_identity(stated.slug) if stated.slug else title_identity(title)]
    section = fit_title(section, SECTION_TITLE_MAX_CHARS, warnings)
    tags = tuple(dict.fromkeys(tags))

    articles = []
    for position, ((chunk_title, chunk_lines), identity) in enumerate(zip(chunks, identities, strict=True), start=1):
        images = ImageCollector()
        body_lines = images.rewrite(autolink_markdown(demote_headings(trim_blank_lines(chunk_lines))))
        warnings.extend(images.warnings)
        if not body_lines:
            warnings.append(f"「{chunk_title}」没有正文，已标记为缺少全文")
        articles.append(
            ParsedArticle(
                title=fit_title(chunk_title, ARTICLE_TITLE_MAX_CHARS, warnings),
                body_markdown="\n".join(body_lines),
                number=position if numbered else None,
                section=section,
                source_url=source_url,
                full_text_missing=not body_lines,
                image_paths=tuple(images.paths),
                published_at=published_at,
                identity=identity,
                tags=tags,
                # A summary of the whole post describes none of its parts.
                description="" if numbered else stated.description,
                draft=stated.draft,
                access=stated.access,
                image_sources=tuple((path, image_sources[path]) for path in images.paths if path in image_sources),
            )
        )
    return ParsedDocument(
        format=format_name,
        title=title,
        source_url=source_url,
        column=None,
        articles=tuple(articles),
        warnings=tuple(warnings),
    )


def take_title(lines: list[str], filename: str, stated_title: str = "") -> tuple[str, list[str]]:
    """The document title, and the lines without it when it is the H1 that opens the document.

    An H1 further down is a section of the document: it names the document when nothing better
    does, but stays in the body. A title the front matter states wins; an opening H1 that repeats
    it is dropped, any other stays as the first heading of the text.
    """
    mask = fenced_code_mask(lines)
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    opening = None
    if first is not None and not mask[first]:
        heading = parse_heading(lines[first])
        if heading and heading[0] == 1 and plain_text_of_inline(heading[1]):
            opening = plain_text_of_inline(heading[1])
    if stated_title:
        if opening and normalize_title(opening) == normalize_title(stated_title):
            return stated_title, lines[first + 1 :]
        return stated_title, lines
    if opening:
        return opening, lines[first + 1 :]
    for line, code in zip(lines, mask, strict=True):
        heading = None if code else parse_heading(line)
        if heading and heading[0] == 1 and plain_text_of_inline(heading[1]):
            return plain_text_of_inline(heading[1]), lines
    first_line = plain_text_of_inline(lines[first]) if first is not None else ""
    return filename_stem(filename) or first_line or UNTITLED, lines


def take_source_line(lines: list[str]) -> tuple[str, list[str]]:
    """The URL of a "> 来源：[…](url)" line under the title, and the lines without that line."""
    non_blank_seen = 0
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        non_blank_seen += 1
        if non_blank_seen > SOURCE_LINE_WITHIN:
            break
        match = SOURCE_LINE_RE.match(line)
        url = match and source_url_in(match.group(1))
        if url:
            return url, lines[:index] + lines[index + 1 :]
    return "", lines


def source_url_in(text: str) -> str:
    link = LINK_TARGET_RE.search(text)
    if link:
        return link.group(1)
    bare = URL_RE.search(text)
    return split_trailing_punctuation(bare.group(0))[0] if bare else ""


def split_at_top_headings(lines: list[str], title: str, warnings: list[str]) -> list[tuple[str, list[str]]]:
    """(title, lines) per article: one per top-level heading, plus what comes before the first.

    Top level is the shallowest heading level used at least twice, and any shallower heading
    also starts an article: a Feishu export may have one "# 写在前面" and then "## 一、…" parts.
    """
    mask = fenced_code_mask(lines)
    headings = {index: heading for index, (line, code) in enumerate(zip(lines, mask, strict=True)) if not code and (heading := parse_heading(line))}
    counts = Counter(level for level, _ in headings.values())
    repeated = [level for level, count in counts.items() if count >= 2]
    if not repeated:
        warnings.append("文档里没有可以拆分的多个同级标题，保持为一篇文章")
        return [(title, lines)]
    top = min(repeated)
    starts = [index for index, (level, _) in headings.items() if level <= top]

    chunks = []
    prelude = lines[: starts[0]]
    if any(line.strip() for line in prelude):
        chunks.append((title, prelude))
    for start, end in zip(starts, starts[1:] + [len(lines)], strict=True):
        chunk_title = plain_text_of_inline(headings[start][1])
        if not chunk_title:
            warnings.append(f"有一个空标题，其下内容命名为「{UNTITLED}」")
        chunks.append((chunk_title or UNTITLED, lines[start + 1 : end]))
    return chunks
