"""Properties of every parser on any text: it does not crash, and it does not drop words.

The word check is deliberately blunt: every word of the input, in order, must appear in what the
parsed document shows (titles, column fields, sections, numbers, bodies), after undoing Markdown
escapes. The only input left out is structure a format consumes into metadata: the xiaobot page
title, column table and fixed headings, the Feishu source line and its "【在线播放】" marker.
"""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.importers import DocumentError, parse_document
from articles.importers.base import ALLOWED_SPLITS, FORMATS

from .helpers import document_text, missing_words, words

FORMS = [(None, "auto")] + [(format, split) for format in FORMATS for split in ALLOWED_SPLITS[format]]

CONSUMED_LINES = {
    "xiaobot": re.compile(r"^#\s.*_小报童|^\s*\|.*\|\s*$|^##\s+.*介绍\s*$|^##\s+最近更新\s*$|awesome-xiaobot.*</a>|^返回\s*\[首页\]"),
    "feishu": re.compile(r"^\s{0,3}>\s*(?:原文)?(?:来源|出处|原文链接|原文地址)\s*[：:]"),
    "markdown": re.compile(r"^\s{0,3}>\s*(?:原文)?(?:来源|出处|原文链接|原文地址)\s*[：:]"),
}

FREE_ALPHABET = st.sampled_from(list("人工智能视频创作认知篇章节图步骤提醒abcXYZ0123456789 \t*_#<>[]()!|`-.:：，。…&\\"))
FREE_TEXT = st.text(alphabet=FREE_ALPHABET, max_size=30)
TYPICAL_LINES = [
    "# {}_小报童_Awesome_XiaoBOT",
    "## {}介绍",
    "## 最近更新",
    "|名称|作者|读者数量|内容数量|更新时间|",
    "|---|---|---|---|---|",
    "|[{}](https://xiaobot.net/p/x?refer=1&a=2)|{}|12人|3篇|2024-01-02|",
    "### 003 认知篇：{}",
    "### {}",
    "### 01. {}",
    "{}......",
    "......",
    "{}……",
    "第{}篇",
    "第 2 章 {}",
    "第一章 {}",
    "第 1 章",
    "1.1 {}",
    "2.3.1 {}",
    "图 1-1 {}",
    "图 2-3 {}（续）",
    "专家提醒",
    "📢 专家提醒",
    "学习提示",
    "▶ {} ◀",
    "步骤 01 {}",
    "本章小结",
    "课后习题",
    "- (1) {}",
    "① {}",
    "2 {}",
    "> 来源：[{}](https://a.feishu.cn/docx/x)",
    "{}.mp4【在线播放】",
    "# {}",
    "## {}",
    "```",
    "> {}",
    "![{}](img/a.png)",
    "![](imgs\\{}.jpg)",
    "{}\t{}\t{}",
    "1. {}",
    "<b>{}</b>",
    "https://a.cn/{}",
]


@st.composite
def typical_line(draw):
    template = draw(st.sampled_from(TYPICAL_LINES))
    return template.format(*(draw(FREE_TEXT) for _ in range(template.count("{}"))))


MIXED_DOCUMENTS = st.lists(
    st.tuples(st.one_of(typical_line(), FREE_TEXT), st.sampled_from(["\n", "\n\n", "\r\n", "\n\n\n"])),
    max_size=30,
).map(lambda lines: "".join(line + separator for line, separator in lines))
ANY_TEXT = st.text(max_size=400)


def kept_words(text: str, format: str, dropped: tuple[str, ...] = ()) -> list[str]:
    consumed = CONSUMED_LINES.get(format)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # A book's download-site boilerplate is left out on purpose and listed in dropped_lines.
    lines = without_dropped(lines, dropped)
    if consumed:
        lines = [line for line in lines if not consumed.search(line)]
    if format == "feishu":
        lines = [line.rstrip().removesuffix("【在线播放】") for line in lines]
    return words("\n".join(lines), kind="plain" if format == "book" else "markdown")


def without_dropped(lines: list[str], dropped: tuple[str, ...]) -> list[str]:
    pending = list(dropped)
    kept = []
    for line in lines:
        if pending and line.strip() == pending[0]:
            pending.pop(0)
        else:
            kept.append(line)
    return kept


def check_keeps_every_word(text: str, format: str | None, split: str) -> None:
    if not text.removeprefix("\ufeff").strip():
        with pytest.raises(DocumentError):
            parse_document(text, format=format, split=split)
        return
    document = parse_document(text, format=format, split=split)
    assert document.articles or document.format == "xiaobot"
    expected = kept_words(text, document.format, document.dropped_lines)
    shown = words(document_text(document), kind="escaped" if document.format == "book" else "markdown")
    assert missing_words(expected, shown) == []


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT, st.sampled_from(FORMS))
def test_any_text_parses_in_every_format_without_losing_words(text, form):
    check_keeps_every_word(text, *form)


@settings(max_examples=200, deadline=None)
@given(MIXED_DOCUMENTS, st.sampled_from(FORMS))
def test_format_typical_lines_mixed_with_noise_parse_without_losing_words(text, form):
    check_keeps_every_word(text, *form)


def test_the_word_check_notices_a_dropped_paragraph():
    document = parse_document("第一段 alpha\n\n第二段 beta", format="markdown")
    shown = words(document_text(document).replace("beta", ""), kind="markdown")
    assert missing_words(kept_words("第一段 alpha\n\n第二段 beta", "markdown"), shown) == ["beta"]
