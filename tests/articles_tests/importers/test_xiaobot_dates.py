"""A post's date, where the post states one: closing its heading, or alone on its first or last line.

The column's 更新时间 is the column's last update, not any post's date: posts that state no date
get none, and the import service decides.
"""

from datetime import date, datetime

import pytest

from articles.importers import parse_document


def post(heading: str, *body: str):
    text = "\n".join(
        [
            "# 效率手册_小报童_Awesome_XiaoBOT",
            "|名称|作者|读者数量|内容数量|更新时间|",
            "|[效率手册](https://xiaobot.net/p/xiaolv)|小明|12人|3篇|2024-03-05|",
            "## 最近更新",
            f"### {heading}",
            "",
            *body,
        ]
    )
    document = parse_document(text, format="xiaobot")
    assert document.column.updated_on == date(2024, 3, 5)
    return document.articles[0]


@pytest.mark.parametrize(
    ("heading", "stated"),
    [
        ("010 工具篇：兵器库（2024-11-28）", date(2024, 11, 28)),
        ("010 工具篇：兵器库 (2024/11/28)", date(2024, 11, 28)),
        ("010 工具篇：兵器库【2024年11月28日】", date(2024, 11, 28)),
        ("010 工具篇：兵器库 [2024-11-28 08:30]", datetime(2024, 11, 28, 8, 30)),
    ],
)
def test_a_date_closing_the_heading_is_the_post_date_and_leaves_the_title(heading, stated):
    article = post(heading, "正文")
    assert (article.published_at, article.title, article.number, article.section) == (
        stated,
        "工具篇：兵器库",
        10,
        "工具篇",
    )


@pytest.mark.parametrize(
    "body",
    [
        ("2024-11-28", "", "正文"),
        ("📅 2024年11月28日", "正文"),
        ("发布时间：2024-11-28", "正文"),
        ("正文", "", "发布于 2024-11-28"),
        ("正文", "**发布日期**：2024 年 11 月 28 日"),
    ],
)
def test_a_date_line_opening_or_closing_the_post_is_its_date_and_leaves_the_body(body):
    article = post("001 开篇", *body)
    assert (article.published_at, article.body_markdown) == (date(2024, 11, 28), "正文")


def test_a_date_inside_the_text_is_text():
    article = post("001 开篇", "第一段", "", "2024-11-28", "", "第三段")
    assert article.published_at is None
    assert "2024-11-28" in article.body_markdown


def test_a_date_line_after_an_excerpt_still_marks_it_cut_off():
    article = post("001 开篇", "正文......", "", "2024-11-28")
    assert (article.published_at, article.body_markdown, article.full_text_missing) == (
        date(2024, 11, 28),
        "正文......",
        True,
    )


def test_an_impossible_date_in_the_heading_stays_in_the_title():
    article = post("001 开篇（2024-13-45）", "正文")
    assert (article.published_at, article.title) == (None, "开篇（2024-13-45）")


def test_a_heading_date_with_text_after_it_is_part_of_the_title():
    article = post("001 回顾（2024-11-28）那一天", "正文")
    assert (article.published_at, article.title) == (None, "回顾（2024-11-28）那一天")
