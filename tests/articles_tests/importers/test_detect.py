import pytest

from articles.importers import DocumentError, detect_format, parse_document

from .helpers import BOOK_SEED, FEISHU_SEED, FEISHU_VIDEO_SEED, STUDY_LIST_SEED, XIAOBOT_SEED, seed


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (XIAOBOT_SEED, "xiaobot"),
        (FEISHU_SEED, "feishu"),
        (STUDY_LIST_SEED, "markdown"),
        (FEISHU_VIDEO_SEED, "feishu"),
        (BOOK_SEED, "book"),
    ],
)
def test_each_seed_is_recognized_from_its_content(name, expected):
    assert detect_format(seed(name), name) == expected
    assert detect_format(seed(name), "upload.txt") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# 某专栏_小报童_Awesome_XiaoBOT\n\n### 001 一\n\n正文", "xiaobot"),
        ("## 最近更新\n|名称|作者|读者数量|内容数量|更新时间|\n### 标题\n正文", "xiaobot"),
        ("# 标题\n\n> 来源：[链接](https://abc.feishu.cn/docx/x)\n\n正文", "feishu"),
        ("# 标题\n\n视频一.mp4【在线播放】\n\n说明\n\n视频二.mp4【在线播放】", "feishu"),
        ("# 标题\n\n- 一项\n- 二项\n\n[链接](https://a.cn)", "markdown"),
        ("第 1 章 开篇\n\n1.1 第一节\n\n正文\n\n图 1-1 示意图", "book"),
        ("第一段文字。\n\n第二段文字。", "book"),
    ],
)
def test_small_samples_are_recognized(text, expected):
    assert detect_format(text) == expected


def test_a_markdown_file_name_tips_text_without_any_syntax():
    assert detect_format("只有一段文字。", "笔记.md") == "markdown"
    assert detect_format("只有一段文字。", "笔记.txt") == "book"


def test_a_book_quoting_some_markdown_is_still_a_book():
    text = "第 1 章 工具\n\n1.1 用法\n\n1. **加粗:** 说明\n2. **加粗:** 说明\n\n图 1-1 截图"
    assert detect_format(text) == "book"


def test_the_editor_can_override_the_detected_format():
    document = parse_document(seed(STUDY_LIST_SEED), format="book")
    assert document.format == "book"
    assert "\\> 2024 年 2月 16日" in document.articles[0].body_markdown


@pytest.mark.parametrize(
    ("format", "split"),
    [
        ("xiaobot", "whole"),
        ("xiaobot", "heading"),
        ("xiaobot", "chapter"),
        ("feishu", "chapter"),
        ("markdown", "chapter"),
        ("book", "heading"),
        ("book", "pages"),
    ],
)
def test_a_split_that_makes_no_sense_for_the_format_is_refused(format, split):
    with pytest.raises(DocumentError, match=f"upload.txt：.*不能使用拆分方式「{split}」"):
        parse_document("# 标题\n\n正文", filename="upload.txt", format=format, split=split)


def test_an_unknown_format_is_refused():
    with pytest.raises(DocumentError, match="不支持的文档格式「pdf」"):
        parse_document("正文", format="pdf")


@pytest.mark.parametrize("text", ["", "  \n\r\n\t"])
def test_an_empty_document_is_refused_with_its_name(text):
    with pytest.raises(DocumentError, match="^空白.md：文档是空的"):
        parse_document(text, filename="空白.md")


@pytest.mark.parametrize(
    ("name", "default_split"),
    [
        (FEISHU_SEED, "whole"),
        (STUDY_LIST_SEED, "whole"),
        (BOOK_SEED, "chapter"),
    ],
)
def test_auto_split_is_the_formats_default(name, default_split):
    text = seed(name)
    assert parse_document(text, filename=name) == parse_document(text, filename=name, split=default_split)


@pytest.mark.parametrize(
    "text",
    [
        '<h1>标题</h1>\n<blockquote>来源：<a href="https://abc.feishu.cn/docx/x">标题</a></blockquote>\n<p>正文</p>',
        '<html><body><h1>标题</h1><p><img src="img/a.png" data-original-src="https://abc.feishu.cn/x"></p><p>正文</p></body></html>',
        '\ufeff\n<div><h1>标题</h1><p><img src="./img/a.png"></p><p>正文</p></div>',
    ],
)
def test_feishu_documents_saved_as_html_are_recognized(text):
    assert detect_format(text, "notes.md") == "feishu"


def test_html_without_any_feishu_trace_is_not_taken_for_feishu():
    assert detect_format('<h1>标题</h1>\n<p>正文，见 <a href="https://example.com">链接</a></p>', "notes.md") == "markdown"


def test_markdown_with_inline_feishu_html_stays_markdown_and_is_not_converted():
    text = '<p align="center"><img src="img/a.png" data-original-src="https://abc.feishu.cn/x"></p>\n\n# 标题\n\n- 一项\n- 二项\n\n正文第一段，写得比较长。'
    assert detect_format(text, "notes.md") == "markdown"
    body = parse_document(text, format="feishu").articles[0].body_markdown
    assert body.startswith('<p align="center"><img src="img/a.png" data-original-src="https://abc.feishu.cn/x"></p>\n\n## 标题')


def test_a_post_whose_front_matter_states_a_title_is_markdown_even_with_chapter_lines():
    body = "第 1 章 开篇\n\n1.1 第一节\n\n正文\n\n第 2 章 继续\n\n图 1-1 示意图"
    assert detect_format(body, "001-post.md") == "book"
    assert detect_format(f"---\ntitle: 读书笔记\n---\n{body}", "001-post.md") == "markdown"
    assert detect_format(f"---\nlayout: post\n---\n{body}", "001-post.md") == "book"
