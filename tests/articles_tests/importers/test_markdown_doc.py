from datetime import date, datetime, timedelta, timezone

import pytest

from articles.importers import parse_document
from articles.importers.identity import slug_identity, title_identity

from .helpers import STUDY_LIST_SEED, seed


@pytest.fixture(scope="module")
def study_list():
    return parse_document(seed(STUDY_LIST_SEED), filename=STUDY_LIST_SEED)


def test_seed_study_list_is_one_markdown_article(study_list):
    assert study_list.format == "markdown"
    assert study_list.title == "Sora 学习资料汇总"
    (article,) = study_list.articles
    assert article.title == "Sora 学习资料汇总"
    assert article.body_markdown.startswith("### 一、Sora介绍\n\n> 2024 年 2月 16日")


def test_seed_windows_image_path_is_normalized_and_reported(study_list):
    article = study_list.articles[0]
    assert article.image_paths == ("imgs/Sora_01.jpg",)
    assert "> ![](imgs/Sora_01.jpg)" in article.body_markdown
    assert "imgs\\" not in article.body_markdown


def test_seed_bare_urls_become_links_and_existing_links_stay(study_list):
    body = study_list.articles[0].body_markdown
    assert "Sora官方网址：**<https://openai.com/sora>**" in body
    assert ">    - **<https://sorahub.video/zhI>**" in body
    assert "[Sora Demo视频](https://xiron.feishu.cn/base/TJnebiI1Va1NpqssjJKc71ISnJf?table=tblI6BB9euPRujUG&view=vewXK2FL7K)" in body
    assert "`sora` 的三个核心特点" in body


def test_seed_heading_split_gives_one_article_per_numbered_part(study_list):
    parts = parse_document(seed(STUDY_LIST_SEED), split="heading").articles
    assert [article.title for article in parts] == [
        "一、Sora介绍",
        "二、Sora 是什么意思",
        "三、Sora 有哪些特色优势？",
        "四、Sora生成的演示视频",
        "五、Sora 团队背景介绍",
        "六、技术原理",
        "七、搞钱变现思路",
    ]
    assert parts[0].image_paths == ("imgs/Sora_01.jpg",)
    assert all(part.image_paths == () for part in parts[1:])


def test_title_falls_back_to_the_file_name_without_a_leading_h1():
    document = parse_document("第一段\n\n## 小节\n\n第二段", filename="资料/读书笔记.md")
    assert document.title == "读书笔记"
    assert document.articles[0].body_markdown.startswith("第一段")


def test_an_h1_below_the_opening_text_names_the_document_but_stays_in_the_body():
    document = parse_document("开场白\n\n# 真正的标题\n\n正文", format="markdown")
    assert document.title == "真正的标题"
    assert document.articles[0].body_markdown == "开场白\n\n## 真正的标题\n\n正文"


def test_markup_in_the_title_heading_is_dropped_from_the_title():
    assert parse_document("# **重要**：[公告](https://a.cn) `v2`\n\n正文").title == "重要：公告 v2"


def test_code_blocks_keep_their_hash_lines_backslashes_and_urls():
    text = "# 标题\n\n```\n# not a heading\nC:\\img\\a.png https://a.cn\n```\n"
    body = parse_document(text, format="markdown", split="heading").articles[0].body_markdown
    assert body == "```\n# not a heading\nC:\\img\\a.png https://a.cn\n```"


def test_images_outside_the_document_folder_are_not_listed_and_warned_about():
    text = "# t\n\n![](../secret.png) ![](/etc/a.png) ![](C:\\a.png) ![](./img/ok.png) ![](img/ok.png)"
    document = parse_document(text, format="markdown")
    assert document.articles[0].image_paths == ("img/ok.png",)
    assert len(document.warnings) == 3


def test_html_images_are_listed_too():
    article = parse_document('# t\n\n<img src="pics\\a b.png" alt="x">', format="markdown").articles[0]
    assert article.image_paths == ("pics/a b.png",)
    assert article.body_markdown == '<img src="pics/a b.png" alt="x">'


def test_heading_split_without_repeated_headings_keeps_the_document_whole():
    document = parse_document("# t\n\n## 唯一小节\n\n正文", format="markdown", split="heading")
    assert [article.title for article in document.articles] == ["t"]
    assert document.articles[0].number is None
    assert document.warnings


HUGO_POST = """+++
title = "Sora 上手指南"
date = 2024-03-20T10:30:00+08:00
tags = ["AI", "视频"]
categories = ["技术", "AI 视频"]
summary = "三步做出第一条视频。"
slug = "sora-guide"
draft = true
+++

# Sora 上手指南

## 准备

准备账号。

## 生成

写提示词。

## 准备

再准备一次。
"""


def test_front_matter_states_the_whole_posts_title_date_tags_section_summary_and_draft():
    document = parse_document(HUGO_POST, filename="content/posts/sora.md")
    assert document.format == "markdown"
    assert document.title == "Sora 上手指南"
    (article,) = document.articles
    assert article.title == "Sora 上手指南"
    assert article.published_at == datetime(2024, 3, 20, 10, 30, tzinfo=timezone(timedelta(hours=8)))
    assert article.tags == ("AI", "视频", "AI 视频")
    assert article.section == "技术"
    assert article.description == "三步做出第一条视频。"
    assert article.draft
    assert article.identity == slug_identity("sora-guide")


def test_front_matter_and_the_h1_repeating_its_title_stay_out_of_the_body():
    body = parse_document(HUGO_POST, filename="sora.md").articles[0].body_markdown
    assert body.startswith("## 准备\n\n准备账号。")
    assert "+++" not in body and "slug" not in body and "三步" not in body


def test_an_opening_h1_other_than_the_front_matter_title_stays_as_the_first_heading():
    article = parse_document("---\ntitle: 文章标题\n---\n# 开篇\n\n正文", format="markdown").articles[0]
    assert article.title == "文章标题"
    assert article.body_markdown == "## 开篇\n\n正文"


def test_heading_split_parts_are_known_by_their_headings_and_repeats_are_told_apart():
    parts = parse_document(HUGO_POST, filename="sora.md", split="heading").articles
    assert [part.title for part in parts] == ["准备", "生成", "准备"]
    assert [part.identity for part in parts] == [title_identity("准备"), title_identity("生成"), title_identity("准备") + "~2"]


def test_heading_split_parts_keep_the_post_as_section_and_its_categories_as_tags():
    parts = parse_document(HUGO_POST, filename="sora.md", split="heading").articles
    assert {part.section for part in parts} == {"Sora 上手指南"}
    assert {part.tags for part in parts} == {("AI", "视频", "技术", "AI 视频")}
    assert {part.description for part in parts} == {""}
    assert all(part.draft and part.published_at.year == 2024 for part in parts)


def test_without_a_slug_a_post_is_known_by_its_title():
    article = parse_document("---\ntitle: AI 做视频，能干些啥？\n---\n正文", format="markdown").articles[0]
    assert article.identity == title_identity("ai做视频,能干些啥") == "t:ai做视频能干些啥"


def test_a_document_without_front_matter_is_known_by_its_title(study_list):
    assert study_list.articles[0].identity == title_identity("Sora 学习资料汇总")
    assert study_list.articles[0].published_at is None
    assert (study_list.articles[0].tags, study_list.articles[0].draft) == ((), False)


def test_malformed_front_matter_is_dropped_with_a_warning_and_the_text_imported():
    document = parse_document("---\ntitle: Sora: 上手指南\n---\n# 真标题\n\n正文", filename="a.md")
    assert document.title == "真标题"
    assert document.articles[0].body_markdown == "正文"
    assert len(document.warnings) == 1 and "YAML 元数据无法读取" in document.warnings[0]


def test_a_labelled_date_near_the_top_dates_the_document_and_stays_in_the_text():
    article = parse_document("# 周报\n\n> 发布时间：2024-03-20 09:15\n\n正文", format="markdown").articles[0]
    assert article.published_at == datetime(2024, 3, 20, 9, 15)
    assert article.body_markdown.startswith("> 发布时间：2024-03-20 09:15")


def test_the_front_matter_date_wins_over_a_labelled_line():
    article = parse_document("---\ndate: 2023-01-02\n---\n出品时间：2024 年 3 月 20 日\n\n正文", format="markdown").articles[0]
    assert article.published_at == date(2023, 1, 2)
