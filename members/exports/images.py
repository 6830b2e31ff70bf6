"""The images an article shows from the portal's own media, copied into the export beside the
Markdown files and linked relatively ("img/ab…-640x480.png"), so the folder reads anywhere and the
import finds each image next to its document.

The import places nothing outside a document's folder ("../img/a.png" is refused), which is why
the images sit in articles/img/ rather than beside the articles folder. Images on other sites stay
linked where they are; an image whose file has gone is left as it was and reported.
"""

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.conf import settings
from django.core.files.storage import Storage, default_storage

from articles.importers.images import MARKDOWN_IMAGE_RE
from articles.importers.markdown_source import fenced_code_mask

FOLDER = "img"


@dataclass
class ImageCopies:
    """Which stored images the articles use and where their copies go, across a whole column:
    an image shown by several articles is copied once."""

    storage: Storage = default_storage
    media_url: str = ""
    site_url: str = ""
    paths: dict[str, str] = field(default_factory=dict)  # storage name → path in the export
    missing: list[str] = field(default_factory=list)  # addresses of images whose file is gone

    def __post_init__(self):
        self.media_url = self.media_url or settings.MEDIA_URL
        self.site_url = (self.site_url or settings.SITE_URL).rstrip("/")

    def rewrite(self, body: str) -> tuple[str, list[tuple[str, str]]]:
        """The body with its stored images linked to their copies, and the (storage name, export
        path) of the images no earlier article used, which the caller copies."""
        new: list[tuple[str, str]] = []

        def relink(match: re.Match) -> str:
            bracketed = match.group(2).startswith("<")
            address = match.group(2)[1:-1] if bracketed else match.group(2)
            name = self.stored_name(address)
            if name is None:
                return match.group(0)
            if name not in self.paths:
                if not self.storage.exists(name):
                    self.missing.append(address)
                    return match.group(0)
                self.paths[name] = self.free_path(name)
                new.append((name, self.paths[name]))
            path = f"<{self.paths[name]}>" if bracketed else self.paths[name]
            return match.group(1) + path + (match.group(3) or "") + match.group(4)

        lines = body.split("\n")
        rewritten = [
            line if code or "![" not in line else MARKDOWN_IMAGE_RE.sub(relink, line) for line, code in zip(lines, fenced_code_mask(lines), strict=True)
        ]
        return "\n".join(rewritten), new

    def stored_name(self, address: str) -> str | None:
        """The storage name behind an address of the portal's media ("/media/imports/a.png"), else None."""
        prefixes = [self.media_url]
        if self.media_url.startswith("/"):  # the same media as a full address on this site
            prefixes.append(self.site_url + self.media_url)
        prefix = next((prefix for prefix in prefixes if address.startswith(prefix)), None)
        if prefix is None:
            return None
        name = posixpath.normpath(unquote(address[len(prefix) :].split("?", 1)[0].split("#", 1)[0]))
        return None if name.startswith(("/", "..")) or name == "." else name

    def free_path(self, name: str) -> str:
        """img/<file name>; a second stored image of the same file name gets a number."""
        stem, extension = posixpath.splitext(posixpath.basename(name))
        taken = set(self.paths.values())
        candidate, counter = f"{FOLDER}/{stem}{extension}", 2
        while candidate in taken:
            candidate = f"{FOLDER}/{stem}-{counter}{extension}"
            counter += 1
        return candidate

    def read(self, name: str) -> bytes:
        with self.storage.open(name, "rb") as handle:
            return handle.read()
