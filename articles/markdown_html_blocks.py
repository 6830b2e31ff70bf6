"""Raw HTML blocks that end where CommonMark ends them, so the Markdown after one still renders.

Python-Markdown's raw HTML preprocessor (`html_block`) reads the document as one stream: a
block-level start tag at the start of a line opens a raw block that lasts until that tag is closed,
so one unclosed `<div>` or `<body class="x">` turns every later heading and paragraph into raw
HTML. CommonMark (https://spec.commonmark.org/0.31.2/#html-blocks) ends an HTML block at a line
it can see instead:

1. a line starting `<script`, `<pre`, `<style` or `<textarea` ends at the line holding one of
   their end tags, blank lines inside included;
2. to 5. `<!--`, `<?`, `<!X`, `<![CDATA[` end at `-->`, `?>`, `>`, `]]>`;
6. a line starting with an opening or closing tag of a block-level element ends at a blank line.

`HtmlBlockExtension` finds those blocks before `html_block` runs and hands each one to
`html_block` on its own, so an unclosed tag can hold nothing beyond its own block. Inside a block,
Python-Markdown's reading stands: text after a closed tag (`<div>x</div>` then `## 标题` on the
next line) is still Markdown, as it was before.

Where this departs from CommonMark, it keeps what Python-Markdown did:
- `<!--`, `<?`, `<!X`, `<![CDATA[` with no end anywhere are text, not a block that hides the
  rest of the article;
- type 7 (any other complete tag alone on a line, such as `<img …>`) is not a block: such a tag
  stays inline in its paragraph, and the lines after it stay Markdown;
- a block whose first tag has a `markdown` attribute is left whole to md_in_html, to its
  matching end tag.
"""

import re

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

# CommonMark's condition 6 names; Python-Markdown's own block-level names are added at run time.
COMMONMARK_BLOCK_TAGS = frozenset(
    "address article aside base basefont blockquote body caption center col colgroup dd details "
    "dialog dir div dl dt fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 "
    "head header hr html iframe legend li link main menu menuitem nav noframes ol optgroup option "
    "p param search section summary table tbody td tfoot th thead title tr track ul".split()
)
RAW_TEXT_START_RE = re.compile(r" {0,3}<(?:script|pre|style|textarea)(?:[\s>]|$)", re.IGNORECASE)
RAW_TEXT_END_RE = re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE)
# Conditions 2 to 5: how the block starts and the text that ends it.
MARKUP_ENDS = [
    (re.compile(r" {0,3}<!--"), "-->"),
    (re.compile(r" {0,3}<\?"), "?>"),
    (re.compile(r" {0,3}<![A-Za-z]"), ">"),
    (re.compile(r" {0,3}<!\[CDATA\["), "]]>"),
]
TAG_START_RE = re.compile(r" {0,3}<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s>]|/>|$)")
END_TAGS_ONLY_RE = re.compile(r" {0,3}(?:</[A-Za-z][A-Za-z0-9-]*\s*>[ \t]*)+$")
# md_in_html parses the content of a tag carrying markdown="1", "block", "span" or a bare
# `markdown`; markdown="0" asks for raw HTML like no attribute at all.
MARKDOWN_ATTRIBUTE_RE = re.compile(r"""\smarkdown(?:\s*=\s*(["']?)([^"'\s>]*)\1)?(?=[\s/>]|$)""")


class HtmlBlockPreprocessor(Preprocessor):
    """Each CommonMark HTML block goes through `html_block` alone, between blank lines.

    Runs after fenced_code, so fenced code is already a placeholder line of its own; indented code
    is never touched, since a block starts only on a line indented three spaces or less.
    """

    def run(self, lines: list[str]) -> list[str]:
        if "html_block" not in self.md.preprocessors:
            return lines
        html_block = self.md.preprocessors["html_block"]
        # Per document, never on the instance: a Markdown instance is reused between documents.
        last_line_with: dict[str, int] = {}
        result: list[str] = []
        index = 0
        while index < len(lines):
            line = lines[index]
            end = index + 1
            if not line.startswith(("<", " ")):
                result.append(line)
            elif self.starts_markdown_block(line):
                end = markdown_block_end(lines, index, TAG_START_RE.match(line).group(2))
                result.extend(lines[index:end])
            elif self.closes_blocks_only(line):
                # End tags closing a block opened earlier (`</details>` after Markdown content):
                # html_block would leave them as paragraph text, an empty <p> in the end.
                result.extend(["", self.md.htmlStash.store(line), ""])
            else:
                block_end = self.block_end(lines, index, last_line_with)
                if block_end is None:
                    result.append(line)
                else:
                    result.extend(["", *html_block.run(lines[index:block_end]), ""])
                    end = block_end
            index = end
        return result

    def block_end(self, lines: list[str], start: int, last_line_with: dict[str, int]) -> int | None:
        """Index after the last line of the HTML block starting at lines[start], None if none does."""
        line = lines[start]
        if RAW_TEXT_START_RE.match(line):
            for index in range(start, len(lines)):
                if RAW_TEXT_END_RE.search(lines[index]):
                    return index + 1
            return len(lines)
        for start_re, terminator in MARKUP_ENDS:
            if start_re.match(line):
                # Looked up once per document, so a thousand unclosed "<!--" cost no rescans.
                if terminator not in last_line_with:
                    last_line_with[terminator] = last_index_containing(lines, terminator)
                if last_line_with[terminator] < start:
                    return None
                index = start
                while terminator not in lines[index]:
                    index += 1
                return index + 1
        tag = TAG_START_RE.match(line)
        if tag is None or not self.is_block_tag(tag.group(2)):
            return None
        index = start + 1
        while index < len(lines) and lines[index].strip() and not self.starts_markdown_block(lines[index]):
            index += 1
        return index

    def is_block_tag(self, name: str) -> bool:
        name = name.lower()
        return name in COMMONMARK_BLOCK_TAGS or self.md.is_block_level(name)

    def starts_markdown_block(self, line: str) -> bool:
        """An opening block-level tag whose content md_in_html (part of `extra`) parses."""
        tag = TAG_START_RE.match(line)
        return (
            tag is not None
            and not tag.group(1)
            and "markdown_block" in self.md.parser.blockprocessors
            and self.md.is_block_level(tag.group(2).lower())
            and has_markdown_attribute(line)
        )

    def closes_blocks_only(self, line: str) -> bool:
        tag = TAG_START_RE.match(line)
        return tag is not None and bool(tag.group(1)) and self.is_block_tag(tag.group(2)) and bool(END_TAGS_ONLY_RE.match(line))


def last_index_containing(lines: list[str], text: str) -> int:
    for index in range(len(lines) - 1, -1, -1):
        if text in lines[index]:
            return index
    return -1


def has_markdown_attribute(line: str) -> bool:
    end = line.find(">")
    attribute = MARKDOWN_ATTRIBUTE_RE.search(line if end == -1 else line[:end])
    return attribute is not None and attribute.group(2) != "0"


def markdown_block_end(lines: list[str], start: int, name: str) -> int:
    """Index after the line holding the end tag that closes lines[start]'s tag, found by counting
    that tag's starts and ends; the end of the document if it is never closed."""
    tag_re = re.compile(rf"<(/?){re.escape(name)}(?=[\s/>]|$)", re.IGNORECASE)
    depth = 0
    for index in range(start, len(lines)):
        for tag in tag_re.finditer(lines[index]):
            depth += -1 if tag.group(1) else 1
        if depth <= 0:
            return index + 1
    return len(lines)


class HtmlBlockExtension(Extension):
    def extendMarkdown(self, md) -> None:
        # After fenced_code (25), before html_block (20).
        md.preprocessors.register(HtmlBlockPreprocessor(md), "commonmark_html_blocks", 22)


# Python-Markdown loads "articles.markdown_html_blocks" through this name.
def makeExtension(**kwargs) -> HtmlBlockExtension:
    return HtmlBlockExtension(**kwargs)
