"""Bare URLs made clickable: Python-Markdown links only <https://…>, and editors paste bare ones."""

import re

from articles.importers.markdown_source import fenced_code_mask

# Stops at whitespace, Markdown and HTML delimiters, and CJK punctuation that often follows a
# URL in Chinese text without a space ("传送门：https://a.cn/，点击").
URL_BODY = r"https?://[^\s<>\"'`()\[\]{}*|\\（）【】《》「」，。！？；：、“”‘’]+"
URL_RE = re.compile(URL_BODY)
TRAILING_PUNCTUATION = ".,:;!?~"

# Spans that already are code, links or HTML, matched first so the URLs inside them stay as they are.
PROTECTED_OR_URL_RE = re.compile(r"(?P<protected>`+[^`\n]*`+|!?\[[^\[\]\n]*\]\([^()\n]*\)|<[^<>\n]*>|^\[[^\[\]\n]*\]:.*$)|(?P<url>" + URL_BODY + ")")

HTML_BLOCK_START_RE = re.compile(r"^[ ]{0,3}<[A-Za-z/!?]")


def autolink_markdown(lines: list[str]) -> list[str]:
    """Markdown lines with bare URLs linked, except in code and in raw HTML blocks.

    Python-Markdown copies raw HTML blocks through untouched, so a <https://…> there would reach
    the browser as a bogus tag and the URL would vanish.
    """
    linked = []
    in_html_block = False
    previous_blank = True
    for line, code in zip(lines, fenced_code_mask(lines), strict=True):
        blank = not line.strip()
        if previous_blank and not blank:
            in_html_block = bool(HTML_BLOCK_START_RE.match(line))
        linked.append(line if code or in_html_block else autolink_urls(line))
        previous_blank = blank
    return linked


def autolink_urls(line: str) -> str:
    """One line of Markdown with every bare http(s) URL wrapped in <…>."""
    if "://" not in line:
        return line
    return PROTECTED_OR_URL_RE.sub(_wrap_url, line)


def _wrap_url(match: re.Match) -> str:
    if match.group("protected"):
        return match.group("protected")
    url, trailing = split_trailing_punctuation(match.group("url"))
    return f"<{url}>{trailing}"


def split_trailing_punctuation(url: str) -> tuple[str, str]:
    """("https://a.cn/x", ".") from "https://a.cn/x.": a sentence's full stop is not part of its URL."""
    stripped = url.rstrip(TRAILING_PUNCTUATION)
    if stripped.endswith("://") or len(stripped) <= len("http://"):
        return url, ""
    return stripped, url[len(stripped) :]
