"""Which format a document is in, judged from its content; the file name only tips a close call.

Each format has tell-tale lines. A xiaobot page and a Feishu export (Markdown, or HTML with
Feishu's links and image attributes) have unmistakable ones, so they win outright; otherwise
Markdown syntax and book structure are weighed against each other, and text with neither is
plain text, which the book parser handles (escaped, one article). A document whose front matter
states a title or a date is a blog post, whatever lines its text has ("第一章" in an article).
"""

import re

from articles.importers.book import CALLOUT_RE, CHAPTER_RE, FIGURE_RE, PART_RE, SECTION_RE
from articles.importers.feishu_html import is_html_document, starts_as_html
from articles.importers.front_matter import read_front_matter

XIAOBOT_RECENT_RE = re.compile(r"^##[ \t]+最近更新[ \t]*$")
FEISHU_SOURCE_RE = re.compile(r"^>[ \t]*来源[：:].*feishu\.cn")
FEISHU_VIDEO_RE = re.compile(r"【在线播放】[ \t]*$")
# Feishu names exported images by a 32-digit hex digest.
FEISHU_IMAGE_RE = re.compile(r"!\[[^\[\]\n]*\]\(img/[0-9a-f]{32}\.\w+\)")
# A Feishu document saved as HTML: its source link, the original URL it gives each image, or
# images in the img/ folder beside it.
FEISHU_HTML_HINT_RE = re.compile(
    r"data-original-src\s*="
    r"|href\s*=\s*[\"']https?://[^\"'\s<>]*\.(?:feishu\.cn|larksuite\.com)/"
    r"|<img\b[^<>]*\bsrc\s*=\s*[\"']\.?/?img/",
    re.IGNORECASE,
)

MARKDOWN_SIGNALS = (
    (re.compile(r"^#{1,6}[ \t]+\S"), 3),
    (re.compile(r"!\[[^\[\]\n]*\]\([^()\n]+\)"), 3),
    (re.compile(r"\[[^\[\]\n]+\]\([^()\n]+\)"), 2),
    (re.compile(r"^(?:`{3,}|~{3,})"), 2),
    (re.compile(r"^>[ \t]?\S"), 1),
    (re.compile(r"^[ \t]*[-*+][ \t]+\S"), 1),
    (re.compile(r"\*\*[^*\n]+\*\*"), 1),
)
BOOK_SIGNALS = ((PART_RE, 5), (CHAPTER_RE, 5), (SECTION_RE, 2), (FIGURE_RE, 2), (CALLOUT_RE, 2))

XIAOBOT_ENOUGH = 3
FEISHU_ENOUGH = 3
FILENAME_HINT = 2


def detect_format(text: str, filename: str = "") -> str:
    """One of "xiaobot", "feishu", "markdown", "book"."""
    # Only a document that reads as HTML throughout, not Markdown with some HTML in it; parsing
    # the HTML costs most, so it comes last.
    if starts_as_html(text) and FEISHU_HTML_HINT_RE.search(text) and is_html_document(text):
        return "feishu"
    scores = {"xiaobot": 0, "feishu": 0, "markdown": 0, "book": 0}
    name = filename.lower()
    if "小报童" in name or "xiaobot" in name:
        scores["xiaobot"] += FILENAME_HINT
    if "飞书" in name or "feishu" in name:
        scores["feishu"] += FILENAME_HINT
    if name.endswith((".md", ".markdown")):
        scores["markdown"] += FILENAME_HINT

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#") and "_小报童" in line:
            scores["xiaobot"] += 3
        if line.startswith("|") and "读者数量" in line and "内容数量" in line:
            scores["xiaobot"] += 3
        if XIAOBOT_RECENT_RE.match(line):
            scores["xiaobot"] += 1
        if scores["xiaobot"] >= XIAOBOT_ENOUGH:
            # Nothing outranks a xiaobot page, and its title is the first line: stop reading.
            return "xiaobot"
        if FEISHU_SOURCE_RE.match(line):
            scores["feishu"] += 3
        if FEISHU_VIDEO_RE.search(line):
            scores["feishu"] += 2
        if FEISHU_IMAGE_RE.search(line):
            scores["feishu"] += 1
        # A line counts once, for its strongest signal: "1. **医疗:**" in a book is one weak hint.
        scores["markdown"] += max((weight for pattern, weight in MARKDOWN_SIGNALS if pattern.search(line)), default=0)
        scores["book"] += max((weight for pattern, weight in BOOK_SIGNALS if pattern.match(line)), default=0)

    if scores["feishu"] >= FEISHU_ENOUGH:
        return "feishu"
    if scores["markdown"] > scores["book"]:
        return "markdown"
    stated = read_front_matter(text, filename=filename)
    return "markdown" if stated.title or stated.published_at else "book"
