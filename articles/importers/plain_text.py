"""Plain text as Markdown that renders to exactly that text.

A book containing "<script>", "**" or "1. " at the start of a line must show them literally, so
every character Python-Markdown (with extra, admonition and sane_lists) would act on is escaped.
Bare URLs become <…> autolinks, which need no escaping inside.
"""

import re

from articles.importers.links import URL_RE, split_trailing_punctuation

# Backslash escapes are what Python-Markdown itself offers; it has none for "<" and "&".
INLINE_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "{": "\\{",
        "}": "\\}",
        "#": "\\#",
        "|": "\\|",
        "&": "&amp;",
        "<": "&lt;",
    }
)
# Characters that only mean something at the start of a block: lists, quotes, admonitions,
# fences, definition lists and ordered lists ("1. ").
LINE_START_RE = re.compile(r"^(?:([-+>!])|(~)|(:)|([0-9]+)\.(?=[ \t]))")
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_line(text: str) -> str:
    """One line of plain text as inline Markdown: the caller puts it in its own block."""
    text = CONTROL_CHARS_RE.sub("", text).strip()
    pieces = []
    position = 0
    for match in URL_RE.finditer(text):
        url, trailing = split_trailing_punctuation(match.group(0))
        pieces.append(text[position : match.start()].translate(INLINE_ESCAPES))
        # Python-Markdown reads entities inside an autolink: a literal "&amp;" in the text would
        # show as "&". Escaping every "&" keeps the text and the address exactly as written.
        pieces.append(f"<{url.replace('&', '&amp;')}>")
        position = match.start() + len(url)
    pieces.append(text[position:].translate(INLINE_ESCAPES))
    return LINE_START_RE.sub(_escape_line_start, "".join(pieces), count=1)


def _escape_line_start(match: re.Match) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    if match.group(2):
        return "&#126;"
    if match.group(3):
        return "&#58;"
    return match.group(4) + "\\."
