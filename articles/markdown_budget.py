"""Bounded work for Python-Markdown, so hostile text cannot hold a worker for seconds.

Python-Markdown has quadratic paths: a link opener with no closer (`"[a" * 5000`, `"[a](" * 2000`)
scans to the end of the paragraph once per opener, and a block of many one-line blocks
(`"# a\\n" * 5000`, `"***\\n" * 5000`, deeply indented lists) is peeled one line at a time, every
block processor re-testing the whole remainder each time. `WorkBudgetExtension`:

- meters that work deterministically (characters handed to the block parser and scanned by the
  link parsers, not seconds, so the same text always renders the same way on any machine) and
  raises `MarkdownTooComplex` once a document spends more than a generous multiple of its length;
  the caller then renders the text as plain paragraphs;
- answers the common unclosed-link cases from a C-speed look-ahead instead of the Python scan, and
  never scans more than a link's worth of text, so such documents still render as Markdown.

The stdlib HTML parser Python-Markdown uses for raw HTML has the same problem with unclosed tags
(`"<a " * 5000`); see `forbid_lt_inside_start_tags`.

So has the sanitizer's HTML parser with unclosed raw HTML: see articles/html_nesting.py.
"""

import re

from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.htmlparser import htmlparser
from markdown.inlinepatterns import (
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    REFERENCE_RE,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)

# Normal documents spend up to about 30 characters of work per character of text (every block tested
# by every processor, nested containers parsed again); hostile ones spend thousands.
WORK_PER_CHARACTER = 100
WORK_ALLOWANCE = 500_000
# Longer link texts or destinations are left as plain text.
MAX_LINK_TEXT = 1_000
MAX_LINK_DESTINATION = 4_000
# Link scanning is a Python loop, some fifty times slower per character than the regular
# expressions the block parser spends its work on.
LINK_SCAN_WEIGHT = 50


class MarkdownTooComplex(Exception):
    """The document needs more parsing work than its length justifies."""


class WorkMeter:
    def __init__(self) -> None:
        self.left = 0

    def start(self, text: str) -> None:
        self.left = WORK_ALLOWANCE + WORK_PER_CHARACTER * len(text)

    def charge(self, amount: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise MarkdownTooComplex


class MeteredBlocks(BlockProcessor):
    """Tested first for every block the parser looks at; charges its length, never claims it."""

    def __init__(self, parser, meter: WorkMeter):
        super().__init__(parser)
        self.meter = meter

    def test(self, parent, block: str) -> bool:
        self.meter.charge(len(block))
        return False

    def run(self, parent, blocks):  # pragma: no cover - test() never claims a block
        return False


class BoundedLinkText:
    """getText and getLink of Python-Markdown's link processors, bounded and metered."""

    meter: WorkMeter

    def getText(self, data: str, index: int):
        close = data.find("]", index, index + MAX_LINK_TEXT)
        if close == -1:
            return "", index, False
        if data.find("[", index, close) == -1:
            self.meter.charge(close - index + 1)
            return data[index:close], close + 1, True
        text, end, handled = super().getText(data[: index + MAX_LINK_TEXT], index)
        self.meter.charge(LINK_SCAN_WEIGHT * (end - index))
        return text, end, handled

    def getLink(self, data: str, index: int):
        window = data[: index + MAX_LINK_DESTINATION]
        if window.find(")", index) == -1:
            return "", None, index, False
        href, title, end, handled = super().getLink(window, index)
        self.meter.charge(LINK_SCAN_WEIGHT * max(end - index, 0))
        return href, title, end, handled


class BoundedLinkProcessor(BoundedLinkText, LinkInlineProcessor):
    pass


class BoundedImageProcessor(BoundedLinkText, ImageInlineProcessor):
    pass


class BoundedReferenceProcessor(BoundedLinkText, ReferenceInlineProcessor):
    pass


class BoundedImageReferenceProcessor(BoundedLinkText, ImageReferenceInlineProcessor):
    pass


class BoundedShortReferenceProcessor(BoundedLinkText, ShortReferenceInlineProcessor):
    pass


class BoundedShortImageReferenceProcessor(BoundedLinkText, ShortImageReferenceInlineProcessor):
    pass


class WorkBudgetExtension(Extension):
    def __init__(self, meter: WorkMeter, **kwargs):
        self.meter = meter
        super().__init__(**kwargs)

    def extendMarkdown(self, md) -> None:
        md.parser.blockprocessors.register(MeteredBlocks(md.parser, self.meter), "work_meter", 1000)
        for processor_class, pattern, name, priority in [
            (BoundedReferenceProcessor, REFERENCE_RE, "reference", 170),
            (BoundedLinkProcessor, LINK_RE, "link", 160),
            (BoundedImageProcessor, IMAGE_LINK_RE, "image_link", 150),
            (BoundedImageReferenceProcessor, IMAGE_REFERENCE_RE, "image_reference", 140),
            (BoundedShortReferenceProcessor, REFERENCE_RE, "short_reference", 130),
            (BoundedShortImageReferenceProcessor, IMAGE_REFERENCE_RE, "short_image_ref", 125),
        ]:
            processor = processor_class(pattern, md)
            processor.meter = self.meter
            md.inlinePatterns.register(processor, name, priority)


# Python-Markdown's private copy of html.parser, as Python-Markdown 3.x patches it, but with "<"
# refused inside a tag name, an attribute name and a bare value, where the HTML standard never
# allows it. Otherwise each unclosed "<a " swallows every later one as attributes: quadratic.
EXPECTED_START_TAG_END = re.compile(
    r"""
  <[a-zA-Z][^`\t\n\r\f />\x00]*       # tag name <= added backtick here
  (?:[\s/]*                           # optional whitespace before attribute name
    (?:(?<=['"\s/])[^`\s/>][^\s/=>]*  # attribute name <= added backtick here
      (?:\s*=+\s*                     # value indicator
        (?:'[^']*'                    # LITA-enclosed value
          |"[^"]*"                    # LIT-enclosed value
          |(?!['"])[^`>\s]*           # bare value <= added backtick here
         )
         (?:\s*,)*                    # possibly followed by a comma
       )?(?:\s|/(?!>))*
     )*
   )?
  \s*                                 # trailing whitespace
""",
    re.VERBOSE,
)
START_TAG_END_WITHOUT_LT = re.compile(
    r"""
  <[a-zA-Z][^<`\t\n\r\f />\x00]*
  (?:[\s/]*
    (?:(?<=['"\s/])[^<`\s/>][^<\s/=>]*
      (?:\s*=+\s*
        (?:'[^']*'
          |"[^"]*"
          |(?!['"])[^<`>\s]*
         )
         (?:\s*,)*
       )?(?:\s|/(?!>))*
     )*
   )?
  \s*
""",
    re.VERBOSE,
)


def forbid_lt_inside_start_tags() -> bool:
    """Patch the parser copy only if it is the one we read; tests catch a changed upstream."""
    if htmlparser.locatestarttagend_tolerant is START_TAG_END_WITHOUT_LT:
        return True
    if htmlparser.locatestarttagend_tolerant.pattern != EXPECTED_START_TAG_END.pattern:
        return False
    htmlparser.locatestarttagend_tolerant = START_TAG_END_WITHOUT_LT
    return True


forbid_lt_inside_start_tags()
