"""Absolute addresses for everything read away from the site: feeds, emails, sitemaps, sharing
cards. They are built from settings.SITE_URL, never from the request's Host header."""

import re
from urllib.parse import urlencode

from django.conf import settings

# Sanitized article HTML always quotes attributes with double quotes; "//host" is already absolute.
SITE_RELATIVE_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")(/(?!/)[^"]*)"')
# An image's smaller copies (articles/markdown.py): "/media/a-320w.webp 320w, /media/a.jpg 1600w".
SRCSET_ATTRIBUTE = re.compile(r'(\ssrcset=")([^"]*)"')

# Query parameters that are part of what a page is; everything else (?refer=, utm_…) is tracking.
CANONICAL_PARAMETERS = ("page",)


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def absolute_url(path: str) -> str:
    """An address on this site for a path such as "/a/12/"; absolute URLs pass through unchanged."""
    if path.startswith(("http://", "https://")):
        return path
    return site_url() + "/" + path.lstrip("/")


def absolutize_html(html: str) -> str:
    """Point site-relative links and images of rendered HTML at SITE_URL, so they work in a feed
    reader or a mail client."""
    html = SITE_RELATIVE_ATTRIBUTE.sub(lambda match: f'{match.group(1)}{absolute_url(match.group(2))}"', html)
    return SRCSET_ATTRIBUTE.sub(lambda match: f'{match.group(1)}{absolute_srcset(match.group(2))}"', html) if " srcset=" in html else html


def absolute_srcset(srcset: str) -> str:
    candidates = []
    for candidate in srcset.split(","):
        url, _, descriptor = candidate.strip().partition(" ")
        if url.startswith("/") and not url.startswith("//"):
            url = absolute_url(url)
        candidates.append(f"{url} {descriptor}".rstrip())
    return ", ".join(candidates)


def canonical_url(path: str, query) -> str:
    """The one address of a page: SITE_URL, the path, and only the parameters that change the
    content (a page number above one)."""
    kept = []
    for name in CANONICAL_PARAMETERS:
        value = query.get(name, "")
        if name == "page" and (not value.isdigit() or int(value) <= 1):
            continue
        kept.append((name, value))
    return absolute_url(path) + (f"?{urlencode(kept)}" if kept else "")
