"""Markdown to sanitized HTML, and the preview cut. Pure functions: text in, text out (but for
asking storage whether an image of ours has its smaller copies yet, articles/image_fields.py).

An article is rendered twice on save: the whole body, and the preview (the part before the cut)
rendered from its own Markdown. The preview HTML is built only from text before the cut, so the
paid part cannot reach it through a renderer quirk.

A large import can have render_markdown run ahead in worker processes (articles/render_ahead.py);
the answers are still render_markdown's own, for the very same text.
"""

import html
import logging
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from articles.html_nesting import limit_open_elements
from articles.image_fields import body_image_name, body_image_srcset
from articles.markdown_budget import MarkdownTooComplex, WorkBudgetExtension, WorkMeter

logger = logging.getLogger(__name__)

# fmt: off
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
# fmt: on
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading", "srcset", "sizes"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "abbr": {"title"},
}
# fmt: off
ALLOWED_CLASSES = {
    "div": {
        "admonition", "note", "tip", "warning", "example", "summary", "exercise",
        "media-placeholder", "media-video", "media-figure", "media-image", "footnote",
    },
    "p": {"admonition-title"},
    "pre": {"code"},
    "code": {"language-text", "language-python", "language-bash", "language-json"},
    "sup": {"footnote-ref"},
    "a": {"footnote-ref", "footnote-backref"},
    "ol": {"steps"},
}
# fmt: on
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# nh3 does not read the URLs inside srcset: own_image_attribute keeps a srcset only when every
# candidate is one of our stored images, so a document cannot have readers fetch from elsewhere.
IMAGE_SET_ATTRIBUTE_RE = re.compile(r"srcset|sizes", re.IGNORECASE)
SRCSET_CANDIDATE_RE = re.compile(r"(?P<url>\S+)\s+\d{1,5}w")
SIZES_RE = re.compile(r"[\w\s().,:%-]{1,200}")
# The article column is --measure (42rem) wide at most (static/css/portal.css).
BODY_IMAGE_SIZES = "(max-width: 42rem) 100vw, 42rem"
# Sanitized HTML always double-quotes attribute values and escapes '"' inside them.
IMAGE_TAG_RE = re.compile(r'<img(?:\s+[a-z-]+(?:="[^"]*")?)*\s*/?>')
IMAGE_SRC_RE = re.compile(r'\ssrc="([^"]*)"')
# articles.markdown_html_blocks ends a raw HTML block where CommonMark does (at a blank line after
# an unclosed <div>), so the Markdown after it still renders.
MARKDOWN_EXTENSIONS = ["extra", "admonition", "sane_lists", "toc", "articles.markdown_html_blocks"]
MARKDOWN_EXTENSION_CONFIGS = {
    # Prefixed heading ids cannot clobber ids the page itself uses.
    "toc": {"slugify": lambda value, separator: "h-" + slugify_unicode(value, separator)},
}

# Python-Markdown recurses once per nesting level of quotes and lists; deeper input is flattened
# first so that hostile text ("> " * 5000) renders in bounded time and stack.
# Quote and list markers count alike, so mixed nesting ("> - > - ...") is bounded too.
MAX_NESTING = 12
CONTAINER_MARKER = r"(?:>|(?:[-*+]|\d{1,9}[.)])[ \t])[ \t]*"
NESTED_CONTAINER_RE = re.compile(rf"^([ \t]*(?:{CONTAINER_MARKER}){{{MAX_NESTING}}})(?:{CONTAINER_MARKER})+", re.MULTILINE)
# Nesting by indentation alone: deeper than this only happens in hostile text or in code, and
# fenced code keeps its indentation.
MAX_INDENT = 4 * MAX_NESTING + 8
MAX_BRACKET_RUN = 64
BRACKET_RUN_RE = re.compile(rf"[\[\]()!<>]{{{MAX_BRACKET_RUN + 1},}}")

# An explicit cut an editor places on a line of its own: <!-- more --> or <!-- paywall -->.
CUT_MARKER_RE = re.compile(r"^[ \t]*<!--\s*(?:more|paywall)\s*-->[ \t]*$", re.IGNORECASE | re.MULTILINE)
FENCE_RE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")

# The automatic cut: roughly the first screen on a phone, and never most of the article.
PREVIEW_TARGET_CHARS = 280
PREVIEW_MAX_SHARE = 0.4

SENTENCE_END_RE = re.compile(r"(?<=[。！？!?；;])|(?<=\.\s)")
TAG_RE = re.compile(r"<[^>]+>")
SPACE_RE = re.compile(r"\s+")
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


# Building a Markdown instance (loading its extensions) costs a third as much as converting a
# typical article, so each thread keeps one and resets it between documents, as Python-Markdown
# intends. `ahead` holds the results of the RenderAhead in use, if any.
renderers = threading.local()


def render_markdown(text: str) -> str:
    """Markdown source to sanitized HTML safe to insert into a page."""
    rendered = getattr(renderers, "ahead", {}).get(text)
    if rendered is not None:
        return rendered
    text = BRACKET_RUN_RE.sub(lambda match: match.group(0)[:MAX_BRACKET_RUN], text)
    text = NESTED_CONTAINER_RE.sub(lambda match: match.group(1), text)
    text = cap_indentation(text)
    try:
        raw_html = markdown_to_html(text)
        limit_open_elements(raw_html)
    except (RecursionError, MarkdownTooComplex):
        # Nesting the guards above did not foresee, or text built to make a parser (Python-Markdown's
        # or the sanitizer's) work quadratically: keep every word, as plain paragraphs.
        raw_html = "".join(f"<p>{html.escape(block)}</p>" for block in split_blocks(text))
    return responsive_images(sanitize_html(raw_html))


def cap_indentation(text: str) -> str:
    """Lines outside fenced code indented deeper than MAX_INDENT columns are indented MAX_INDENT."""
    if "\n" + " " * (MAX_INDENT + 1) not in text and "\t" not in text:
        return text
    lines = text.split("\n")
    fence: str | None = None
    for number, line in enumerate(lines):
        fence_match = FENCE_RE.match(line)
        if fence is None and fence_match:
            fence = fence_match.group(1)[0] * 3
        elif fence is not None and fence_match and fence_match.group(1).startswith(fence):
            fence = None
        elif fence is None:
            content = line.lstrip(" \t")
            indent = line[: len(line) - len(content)].expandtabs(4)
            if len(indent) > MAX_INDENT:
                lines[number] = " " * MAX_INDENT + content
    return "\n".join(lines)


def markdown_to_html(text: str) -> str:
    """Unsanitized HTML from Python-Markdown; only render_markdown should call this."""
    renderer = getattr(renderers, "markdown", None)
    if renderer is None:
        meter = WorkMeter()
        renderer = renderers.markdown = markdown.Markdown(
            extensions=[*MARKDOWN_EXTENSIONS, WorkBudgetExtension(meter)],
            extension_configs=MARKDOWN_EXTENSION_CONFIGS,
            output_format="html",
        )
        renderer.work_meter = meter
    renderer.work_meter.start(text)
    try:
        return renderer.reset().convert(text)
    except BaseException:
        # A conversion that fails halfway may leave parser state behind: start the next one afresh.
        renderers.markdown = None
        raise


@contextmanager
def answers(rendered: dict[str, str]) -> Iterator[None]:
    """Inside, render_markdown answers these texts with the HTML given (rendered ahead by the very
    same function, in another process: articles/render_ahead.py); any other text it renders."""
    renderers.ahead = rendered
    try:
        yield
    finally:
        del renderers.ahead


def sanitize_html(raw_html: str) -> str:
    # The filter costs a Python call per attribute: only for the HTML that can need it.
    filtered = {"attribute_filter": own_image_attribute} if IMAGE_SET_ATTRIBUTE_RE.search(raw_html) else {}
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        **filtered,
    )


def own_image_attribute(tag: str, attribute: str, value: str) -> str | None:
    """A srcset only of our own stored images, a sizes of media conditions and lengths alone."""
    if tag != "img" or attribute not in ("srcset", "sizes"):
        return value
    if attribute == "sizes":
        return value if SIZES_RE.fullmatch(value) else None
    candidates = [SRCSET_CANDIDATE_RE.fullmatch(candidate.strip()) for candidate in value.split(",")]
    return value if all(match and body_image_name(match["url"]) for match in candidates) else None


def responsive_images(sanitized: str) -> str:
    """Each image of ours whose WebP copies are stored offers them, so that a phone fetches the
    copy its screen needs rather than the whole picture; every other image keeps its src alone."""
    return IMAGE_TAG_RE.sub(with_srcset, sanitized) if "<img" in sanitized else sanitized


def with_srcset(match: re.Match) -> str:
    tag = match.group(0)
    src = IMAGE_SRC_RE.search(tag)
    if src is None or " srcset=" in tag:
        return tag
    srcset = body_image_srcset(html.unescape(src.group(1)))
    if not srcset:
        return tag
    return f'{tag[: src.end()]} srcset="{html.escape(srcset)}" sizes="{BODY_IMAGE_SIZES}"{tag[src.end() :]}'


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace folded."""
    return SPACE_RE.sub(" ", html.unescape(TAG_RE.sub(" ", fragment))).strip()


def count_words(text: str) -> int:
    """Reading length: each CJK character counts as a word, as do runs of Latin letters and digits."""
    return len(CJK_RE.findall(text)) + len(LATIN_WORD_RE.findall(text))


def reading_minutes(word_count: int) -> int:
    # About 400 Chinese characters a minute for attentive reading.
    return max(1, math.ceil(word_count / 400))


def excerpt(text: str, limit: int = 120) -> str:
    text = SPACE_RE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class PreviewCut:
    preview_markdown: str
    has_more: bool
    explicit: bool


def split_blocks(text: str) -> list[str]:
    """Top-level Markdown blocks separated by blank lines; a fenced code block stays whole."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        fence_match = FENCE_RE.match(line)
        if fence is None and fence_match:
            fence = fence_match.group(1)[0] * 3
        elif fence is not None and fence_match and fence_match.group(1).startswith(fence):
            fence = None
        if fence is None and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def block_text_length(block: str) -> int:
    return len(SPACE_RE.sub("", block))


def cut_preview(body: str) -> PreviewCut:
    """Where the free preview of an article ends.

    An explicit marker wins. Otherwise blocks are taken until about a screen of text, at a
    paragraph boundary, and never more than PREVIEW_MAX_SHARE of the article; a body of one
    long paragraph is cut at a sentence end instead.
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    marker = CUT_MARKER_RE.search(body)
    if marker:
        before, after = body[: marker.start()], body[marker.end() :]
        return PreviewCut(before.rstrip(), has_more=bool(after.strip()), explicit=True)

    blocks = split_blocks(body)
    total = sum(block_text_length(block) for block in blocks)
    budget = min(PREVIEW_TARGET_CHARS, int(total * PREVIEW_MAX_SHARE))
    taken: list[str] = []
    used = 0
    for block in blocks:
        length = block_text_length(block)
        if used + length > budget and taken:
            break
        if used + length > budget:
            partial = first_sentences(block, budget)
            if partial:
                taken.append(partial)
            break
        taken.append(block)
        used += length
    has_more = len(taken) < len(blocks) or (bool(taken) and taken[-1] != blocks[len(taken) - 1])
    return PreviewCut("\n\n".join(taken), has_more=has_more, explicit=False)


def first_sentences(block: str, budget: int) -> str:
    """The longest run of whole sentences of one block within budget characters, if any."""
    pieces = [piece for piece in SENTENCE_END_RE.split(block) if piece]
    kept: list[str] = []
    used = 0
    for piece in pieces[:-1]:
        length = block_text_length(piece)
        if used + length > budget:
            break
        kept.append(piece)
        used += length
    return "".join(kept).rstrip()


def strip_cut_marker(body: str) -> str:
    return CUT_MARKER_RE.sub("", body)
