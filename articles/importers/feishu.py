"""A Feishu (飞书) document exported to Markdown, or saved as HTML (feishu_html.py makes that Markdown).

It is Markdown with two habits: a "> 来源：[…](https://….feishu.cn/docx/…)" line under the title,
and embedded videos exported as a bare "name.mp4【在线播放】" line. The videos are not in the export,
so each becomes a placeholder naming the video. Feishu uses H1 for the document's own parts too.
"""

import html

from articles.importers.base import ParsedDocument
from articles.importers.feishu_html import VIDEO_MARKER, html_to_markdown, read_html_document
from articles.importers.markdown_doc import parse_markdown
from articles.importers.markdown_source import fenced_code_mask


def parse(text: str, *, filename: str, split: str) -> ParsedDocument:
    soup = read_html_document(text)
    if soup is not None:
        export = html_to_markdown(soup)
        return parse_markdown(
            export.markdown,
            filename=filename,
            split=split,
            format_name="feishu",
            transform_body=replace_videos,
            front_matter=False,
            image_sources=export.image_sources,
        )
    return parse_markdown(text, filename=filename, split=split, format_name="feishu", transform_body=replace_videos)


def replace_videos(lines: list[str]) -> list[str]:
    replaced = []
    for line, code in zip(lines, fenced_code_mask(lines), strict=True):
        stripped = line.strip()
        if code or not stripped.endswith(VIDEO_MARKER):
            replaced.append(line)
            continue
        # A raw HTML block needs blank lines around it to stay a block of its own.
        replaced.extend(["", video_placeholder(stripped.removesuffix(VIDEO_MARKER).strip()), ""])
    return replaced


def video_placeholder(name: str) -> str:
    return f'<div class="media-placeholder media-video">视频（原文为在线播放，未导入）：{html.escape(name)}</div>'
