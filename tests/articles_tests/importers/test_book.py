import re

import markdown
import pytest

from articles.importers import parse_document

from .helpers import BOOK_SEED, seed

RENDERER_EXTENSIONS = ["extra", "admonition", "sane_lists", "toc"]


@pytest.fixture(scope="module")
def book():
    return parse_document(seed(BOOK_SEED), filename=BOOK_SEED)


@pytest.fixture(scope="module")
def chapter_one(book):
    return book.articles[0].body_markdown


def test_seed_is_one_article_per_chapter_with_the_part_as_section(book):
    assert book.format == "book"
    assert book.title == "004_6da403e4822e7372"
    assert [(article.number, article.section, article.title) for article in book.articles] == [
        (1, "第1篇 技术简史", "第 1 章 10 点知识，快速了解 Sora"),
        (2, "第1篇 技术简史", "第 2 章 13 个要点，掌握 Sora 创新能力"),
    ]
    assert [article.identity for article in book.articles] == ["t:第1章10点知识快速了解sora", "t:第2章13个要点掌握sora创新能力"]
    assert book.warnings == ()
    assert book.dropped_lines == ()


def test_seed_numbered_sections_are_headings(book):
    headings = [re.findall(r"^## (\d+\.\d+) ", article.body_markdown, re.MULTILINE) for article in book.articles]
    assert headings[0] == [f"1.{n}" for n in range(1, 11)]
    assert headings[1] == [f"2.{n}" for n in range(1, 14)]
    assert "\n## 1.1 认识什么是 Sora\n" in book.articles[0].body_markdown


def test_seed_figure_captions_become_figure_placeholders(chapter_one):
    figures = re.findall(r'^<div class="media-placeholder media-figure">(.*)</div>$', chapter_one, re.MULTILINE)
    assert figures[0] == "图 1-1 Sora 模型生成的视频内容"
    assert "图 1-6 袋鼠在舞台上跳起了舞蹈（续）" in figures
    assert len(figures) == 17


def test_seed_sentences_that_start_with_a_figure_number_stay_text(chapter_one):
    assert "\n图 1-4 所示为 Sora 生成的视频效果，图 1-5 所示为 Runway" in chapter_one


def test_seed_callouts_are_admonitions_holding_their_paragraphs(book, chapter_one):
    assert chapter_one.startswith('!!! note "学习提示"\n    在数字时代的浪潮中')
    assert chapter_one.count('!!! tip "专家提醒"') == 5
    assert chapter_one.count('!!! example "Sora 案例生成"') == 8
    assert book.articles[1].body_markdown.count('!!! tip "专家提醒"') == 3


def test_seed_callout_ends_where_the_numbered_list_before_it_resumes(chapter_one):
    assert '!!! tip "专家提醒"\n    这段视频画面的提示词呈现了一个令人愉快而有趣的场景' in chapter_one
    assert "氛围。\n\n2 Sora 拥有卓越的自然语言理解能力" in chapter_one


def test_seed_case_callout_holds_its_steps_and_ends_at_the_figure(chapter_one):
    case = chapter_one.split('!!! example "Sora 案例生成"\n', 1)[1].split("\n\n<div", 1)[0]
    assert case.startswith("    **步骤 01** 输入的提示词：\n\n    Several giant woolly mammoths")
    assert "    **步骤 02** 生成的视频效果：" in case


def test_seed_summary_and_exercises_close_the_chapter(chapter_one):
    summary = chapter_one.index('!!! summary "本章小结"')
    exercises = chapter_one.index('!!! exercise "课后习题"')
    assert summary < exercises
    assert chapter_one[exercises:].split("\n")[3:5] == [
        "    1. 请根据你的理解，对 Sora 的概念和特点进行相关讲解。",
        "    2. 请对 Sora 的关键优势进行简单概括。",
    ]


def test_seed_tab_separated_tables_become_markdown_tables(chapter_one):
    assert "| 能力分类 | 能力 | Sora | 其他模型 |\n| --- | --- | --- | --- |\n| 底层技术 | 架构 | 变换器 | U-Net 为主 |" in chapter_one
    html = markdown.markdown(chapter_one, extensions=RENDERER_EXTENSIONS)
    assert html.count("<table>") == 2


def test_seed_markdown_in_the_book_text_is_shown_literally(chapter_one):
    assert "1\\. \\*\\*医疗健康:\\*\\* AI在医疗诊断" in chapter_one
    html = markdown.markdown(chapter_one, extensions=RENDERER_EXTENSIONS)
    assert "<p>1. **医疗健康:** AI在医疗诊断" in html
    assert "<strong>医疗健康" not in html


def test_seed_whole_keeps_one_article_with_parts_and_chapters_as_headings(book):
    (article,) = parse_document(seed(BOOK_SEED), filename=BOOK_SEED, split="whole").articles
    assert article.title == book.title
    assert article.number is None
    assert article.body_markdown.startswith("## 第1篇 技术简史\n\n### 第 1 章 10 点知识，快速了解 Sora")
    assert "\n#### 2.13 呈现出丰富的多镜头效果\n" in article.body_markdown


def test_seed_renders_with_admonitions_and_placeholders_intact(chapter_one):
    html = markdown.markdown(chapter_one, extensions=RENDERER_EXTENSIONS)
    assert html.count('<div class="admonition tip">') == 5
    assert html.count('<div class="media-placeholder media-figure">') == 17
    assert "!!!" not in html


def test_chapter_without_a_part_has_no_section():
    text = "第 1 章 开始\n\n正文一\n\n第 2 章 继续\n\n正文二"
    articles = parse_document(text, format="book").articles
    assert [(article.number, article.section, article.title) for article in articles] == [
        (1, "", "第 1 章 开始"),
        (2, "", "第 2 章 继续"),
    ]


def test_text_before_the_first_chapter_becomes_a_preface_without_a_number():
    articles = parse_document("作者：某人\n\n内容提要：一个起点。\n\n第一章 起点\n\n正文", format="book").articles
    assert [(article.number, article.title, article.identity) for article in articles] == [
        (None, "前言", "t:前言"),
        (1, "第一章 起点", "t:第一章起点"),
    ]
    assert articles[0].body_markdown == "作者：某人\n\n内容提要：一个起点。"


def test_a_title_line_names_the_book_and_is_not_repeated_in_the_preface():
    document = parse_document("书名\n\n作者：某人\n\n第一章 起点\n\n正文", filename="下载.txt", format="book")
    assert document.title == "书名"
    assert [(article.title, article.body_markdown) for article in document.articles] == [
        ("前言", "作者：某人"),
        ("第一章 起点", "正文"),
    ]


def test_chinese_numeral_chapters_and_a_part_restarting_the_count():
    text = "第一篇 上\n\n第一章 甲\n\n正文\n\n第二篇 下\n\n第一章 乙\n\n正文"
    document = parse_document(text, format="book")
    assert [(article.number, article.section, article.identity) for article in document.articles] == [
        (None, "第一篇 上", "t:第一章甲"),
        (None, "第二篇 下", "t:第一章乙"),
    ]
    assert any("不使用章的编号" in warning for warning in document.warnings)


def test_chapters_with_the_same_title_are_told_apart():
    text = "第一篇 上\n\n第一章 开始\n\n正文\n\n第二篇 下\n\n第一章 开始\n\n正文"
    articles = parse_document(text, format="book").articles
    assert [article.identity for article in articles] == ["t:第一章开始", "t:第一章开始~2"]


def test_a_chapter_line_going_backwards_is_a_cross_reference_not_a_chapter():
    text = "第 2 章 前情\n\n正文\n\n第 1 章 回顾\n\n第 3 章 后续\n\n正文"
    articles = parse_document(text, format="book").articles
    assert [article.title for article in articles] == ["第 2 章 前情", "第 3 章 后续"]
    assert "第 1 章 回顾" in articles[0].body_markdown


def test_a_part_without_chapters_keeps_its_name_as_a_heading():
    text = "第1篇\n导论\n\n导论正文\n\n第2篇\n实战\n\n第 1 章 开始\n\n正文"
    (article,) = parse_document(text, format="book").articles
    assert article.section == "第2篇 实战"
    assert article.body_markdown == "## 第1篇 导论\n\n导论正文\n\n正文"


def test_hostile_text_in_a_book_is_escaped():
    text = "第 1 章 <b>章</b>\n\n<script>alert(1)</script> **粗** _斜_ [链](http://x) `码`\n\n# 不是标题\n\n1. 不是列表\n\n!!! tip"
    article = parse_document(text, format="book").articles[0]
    assert article.title == "第 1 章 <b>章</b>"
    html = markdown.markdown(article.body_markdown, extensions=RENDERER_EXTENSIONS)
    assert re.findall(r"<(\w+)", html) == ["p", "a", "p", "p", "p"]
    assert re.sub(r"<[^>]+>", "", html) == ("&lt;script&gt;alert(1)&lt;/script&gt; **粗** _斜_ [链](http://x) `码`\n# 不是标题\n1. 不是列表\n!!! tip")


def test_plain_text_without_chapters_is_one_article_by_default():
    document = parse_document("第一行文字。\n\n第二行文字。", filename="随笔.txt")
    assert document.format == "book"
    assert [(article.title, article.body_markdown, article.identity) for article in document.articles] == [
        ("随笔", "第一行文字。\n\n第二行文字。", "t:随笔"),
    ]
    assert document.warnings


def test_a_single_short_line_is_the_text_not_the_title():
    (article,) = parse_document("只有一行", filename="随笔.txt", format="book").articles
    assert (article.title, article.body_markdown) == ("随笔", "只有一行")
