"""An article as a Markdown file with front matter, written so that the portal's own import reads
it back as it was (articles/importers/markdown_doc.py) and blogs (Hugo, Hexo, Jekyll) read it too:

    ---
    title: Sora 是什么
    date: '2024-03-20T10:30:00+08:00'
    tags:
    - AI
    categories:
    - 基础篇
    access: members
    slug: 001-sora-shi-shen-me
    ---
    > 来源：<https://example.com/original>

    正文……

The section is the first category (the import's rule), `access` is the import's free-or-members
key, the slug is the file's name and the article's identity on a re-import, so importing the same
export twice adds nothing. The import tidies a document's text in three ways that would change
how an article reads, so the body is written in an equivalent form it leaves alone:

- it gives the document's H1 to the title and demotes every other heading: an H1 in the text is
  written in setext form ("Title" over "==="), which renders the same <h1>;
- it links bare URLs, which the portal's renderer shows as text: "://" is written "&#58;//",
  which renders as the same characters and is no URL to the import;
- it takes a "> 来源：…" line near the top for the source address: the article's own source is
  written there, and a line of the text that looks like one gets its colon as an entity.

Pure: data in, text out.
"""

import re
from dataclasses import dataclass
from datetime import datetime

import yaml
from django.utils import timezone

from articles.importers.links import PROTECTED_OR_URL_RE, autolink_markdown
from articles.importers.markdown_doc import SOURCE_LINE_RE, SOURCE_LINE_WITHIN, source_url_in
from articles.importers.markdown_source import fenced_code_mask, parse_heading
from articles.slugs import slug_for_title

# Text that would start another block if it stood on a line of its own (a list, a quote, a rule),
# so its heading stays in ATX form.
BLOCK_START_RE = re.compile(r"^(?:[-*+>#=|]|[0-9]+[.)])")
COLON_ENTITIES = {":": "&#58;", "：": "&#65306;"}
NUMBER_WIDTH = 3


@dataclass(frozen=True)
class ExportedArticle:
    number: int
    title: str
    published_at: datetime
    body: str  # Markdown, its images already pointing at the exported copies
    tags: tuple[str, ...] = ()
    section: str = ""
    access: str = "members"  # Article.Access
    draft: bool = False
    description: str = ""
    source_url: str = ""


def file_stem(number: int, title: str, *, width: int = NUMBER_WIDTH) -> str:
    """ "007-sora-shi-shen-me": numbered so a folder lists the articles in the column's order."""
    return f"{number:0{width}d}-{slug_for_title(title, fallback='article')}"


def markdown_file(article: ExportedArticle, *, slug: str) -> str:
    """The whole file: front matter, then the source line when there is one, then the text."""
    metadata = {"title": article.title, "date": timezone.localtime(article.published_at).isoformat(timespec="seconds")}
    if article.tags:
        metadata["tags"] = list(article.tags)
    if article.section:
        metadata["categories"] = [article.section]
    metadata["access"] = article.access
    if article.draft:
        metadata["draft"] = True
    if article.description:
        metadata["description"] = article.description
    metadata["slug"] = slug
    front_matter = yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False, width=1_000_000)
    source = f"> 来源：<{source_address(article.source_url)}>\n\n" if article.source_url else ""
    return f"---\n{front_matter}---\n{source}{portable_body(article.body)}\n"


def source_address(url: str) -> str:
    """The import reads the address up to a parenthesis or space; those are written escaped."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def portable_body(body: str) -> str:
    """The body in a form the import keeps as it is, rendering exactly as the original."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = setext_top_headings(lines)
    lines = unlinkable_bare_urls(lines)
    lines = source_lines_kept(lines)
    return "\n".join(lines).strip("\n")


def setext_top_headings(lines: list[str]) -> list[str]:
    """H1 lines as setext headings, set apart by blank lines (a setext heading would otherwise
    take the paragraph above it in)."""
    written: list[str] = []
    after_heading = False
    for line, code in zip(lines, fenced_code_mask(lines), strict=True):
        heading = None if code else parse_heading(line)
        if heading and heading[0] == 1 and heading[1] and not BLOCK_START_RE.match(heading[1]):
            if written and written[-1].strip():
                written.append("")
            written += [heading[1], "==="]
            after_heading = True
            continue
        if after_heading and line.strip():
            written.append("")
        after_heading = False
        written.append(line)
    return written


def unlinkable_bare_urls(lines: list[str]) -> list[str]:
    """The lines where the import would link a bare URL, with that URL's "://" as an entity."""
    linked = autolink_markdown(lines)
    return [PROTECTED_OR_URL_RE.sub(unlinkable, line) if changed != line else line for line, changed in zip(lines, linked, strict=True)]


def unlinkable(match: re.Match) -> str:
    if match.group("protected"):
        return match.group("protected")
    return match.group("url").replace("://", "&#58;//")


def source_lines_kept(lines: list[str]) -> list[str]:
    """A "> 来源：<url>" line of the text itself near the top stays text, with its colon as an entity."""
    kept = list(lines)
    non_blank_seen = 0
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        non_blank_seen += 1
        if non_blank_seen > SOURCE_LINE_WITHIN:
            break
        match = SOURCE_LINE_RE.match(line)
        if match and source_url_in(match.group(1)):
            colon = match.start(1) - 1
            kept[index] = line[:colon] + COLON_ENTITIES[line[colon]] + line[colon + 1 :]
    return kept
