"""Line-level facts about Markdown source: code fences, ATX headings, inline markup in titles.

Everything here skips fenced code, where a "# comment" is not a heading.
"""

import html
import re

FENCE_RE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
# CommonMark's rule (a space after the hashes) so that "#话题" in running text is not a heading.
HEADING_RE = re.compile(r"^[ ]{0,3}(#{1,6})(?:[ \t]+(.*))?$")

# Brackets, parentheses and angle brackets never nest inside these, which keeps the scans linear
# on hostile lines such as "[" * 50_000.
IMAGE_MARKUP_RE = re.compile(r"!\[([^\[\]\n]*)\]\([^()\n]*\)")
LINK_MARKUP_RE = re.compile(r"\[([^\[\]\n]*)\]\([^()\n]*\)")
TAG_RE = re.compile(r"<[^<>\n]*>")
# Emphasis and code markers, unless they sit inside a word ("snake_case", "a*b" stay as written).
EMPHASIS_RE = re.compile(r"(?<![A-Za-z0-9])(?:\*{1,3}|_{1,3}|~~|`+)|(?:\*{1,3}|_{1,3}|~~|`+)(?![A-Za-z0-9])")
ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
SPACE_RE = re.compile(r"\s+")


def fenced_code_mask(lines: list[str]) -> list[bool]:
    """For each line, whether it belongs to a fenced code block (fence lines included)."""
    mask = []
    fence = None
    for line in lines:
        match = FENCE_RE.match(line) if "`" in line or "~" in line else None
        if fence is None:
            if match:
                fence = match.group(1)
            mask.append(fence is not None)
        else:
            mask.append(True)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
    return mask


def parse_heading(line: str) -> tuple[int, str] | None:
    """(level, raw text) of an ATX heading line, else None."""
    match = HEADING_RE.match(line) if "#" in line[:4] else None
    if not match:
        return None
    text = (match.group(2) or "").strip()
    # A closing run of hashes is decoration ("## 标题 ##"), unless it is part of a word ("C#").
    without_closing = text.rstrip("#")
    if without_closing != text and (not without_closing or without_closing[-1] in " \t"):
        text = without_closing.strip()
    return len(match.group(1)), text


def plain_text_of_inline(markdown: str) -> str:
    """The visible text of one line of inline Markdown, for titles: no markup, single spaces."""
    text = IMAGE_MARKUP_RE.sub(r"\1", markdown)
    text = LINK_MARKUP_RE.sub(r"\1", text)
    text = TAG_RE.sub("", text)
    text = EMPHASIS_RE.sub("", text)
    text = ESCAPE_RE.sub(r"\1", text)
    return collapse_spaces(html.unescape(text))


def collapse_spaces(text: str) -> str:
    return SPACE_RE.sub(" ", text).strip()


def demote_headings(lines: list[str]) -> list[str]:
    """Every heading one level down (H6 stays H6), when the body uses H1 that the page title owns."""
    mask = fenced_code_mask(lines)
    has_h1 = any(not code and (heading := parse_heading(line)) and heading[0] == 1 for line, code in zip(lines, mask, strict=True))
    if not has_h1:
        return lines
    demoted = []
    for line, code in zip(lines, mask, strict=True):
        heading = None if code else parse_heading(line)
        if heading and heading[0] < 6:
            line = "#" + line.lstrip(" ")
        demoted.append(line)
    return demoted


def trim_blank_lines(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]
