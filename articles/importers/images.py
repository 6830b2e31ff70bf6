"""Local image references in Markdown: normalized in place and listed for the import service.

"imgs\\Sora_01.jpg" (written on Windows) and "./img/a.png" both become forward-slash paths
relative to the document, the form the service looks up among the uploaded files.
"""

import posixpath
import re

from articles.importers.markdown_source import fenced_code_mask

# No nested brackets or parentheses: "![](" * 50_000 must not make each match scan the rest of the line.
MARKDOWN_IMAGE_RE = re.compile(r"(!\[[^\[\]\n]*\]\([ \t]*)(<[^<>\n]*>|[^\s()]+)([ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'))?([ \t]*\))")
HTML_IMAGE_RE = re.compile(r"(<img\b[^<>\n]*?\bsrc[ \t]*=[ \t]*)([\"'])([^\"'<>\n]*)\2", re.IGNORECASE)
URL_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class ImageCollector:
    """Rewrites local image paths line by line and remembers them in order of first use."""

    def __init__(self):
        self.paths: list[str] = []
        self.warnings: list[str] = []

    def rewrite(self, lines: list[str]) -> list[str]:
        return [line if code else self.rewrite_line(line) for line, code in zip(lines, fenced_code_mask(lines), strict=True)]

    def rewrite_line(self, line: str) -> str:
        if "![" in line:
            line = MARKDOWN_IMAGE_RE.sub(self._markdown_image, line)
        if "<img" in line.lower():
            line = HTML_IMAGE_RE.sub(self._html_image, line)
        return line

    def _markdown_image(self, match: re.Match) -> str:
        bracketed = match.group(2).startswith("<")
        raw = match.group(2)[1:-1] if bracketed else match.group(2)
        path = self._local_path(raw)
        if path is None:
            return match.group(0)
        if bracketed:
            path = f"<{path}>"
        return match.group(1) + path + (match.group(3) or "") + match.group(4)

    def _html_image(self, match: re.Match) -> str:
        path = self._local_path(match.group(3))
        if path is None:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{path}{match.group(2)}"

    def _local_path(self, raw: str) -> str | None:
        """The normalized path of a local image, or None for web images and unusable paths."""
        raw = raw.strip()
        # The scheme pattern needs two letters, so a drive letter ("C:\\") is not taken for one.
        if not raw or raw.startswith(("#", "//")) or URL_SCHEME_RE.match(raw):
            return None
        path = raw.replace("\\", "/")
        normalized = posixpath.normpath(path)
        if path.startswith("/") or WINDOWS_DRIVE_RE.match(path) or normalized == ".." or normalized.startswith("../"):
            self.warnings.append(f"图片路径不在文档所在的文件夹内，无法导入：{raw}")
            return None
        if normalized not in self.paths:
            self.paths.append(normalized)
        return normalized
