"""Dates documents state about themselves."""

from datetime import date, datetime

import pytest

from articles.importers.dates import bare_date, labelled_date, parse_date_text


@pytest.mark.parametrize(
    "line, expected",
    [
        ("出品时间：2024 年 3 月 20 日", date(2024, 3, 20)),
        ("> 发布时间: 2024-03-20 10:30", datetime(2024, 3, 20, 10, 30)),
        ("**更新时间**：2024/3/20", date(2024, 3, 20)),
        ("- 更新于 2024.03.20", date(2024, 3, 20)),
        ("出版时间：2024 年 5 月", date(2024, 5, 1)),
    ],
)
def test_a_labelled_line_near_the_top_gives_the_date(line, expected):
    assert labelled_date(["# 标题", "", line, "正文"]) == expected


@pytest.mark.parametrize(
    "line",
    [
        "出品时间：2024 年 13 月 20 日",  # not a real date
        "时间：2024-03-20 到 2024-04-01",  # a span, not the document's date
        "我们在 2024-03-20 发布了新版",  # a date in a sentence
    ],
)
def test_lines_that_are_not_a_document_date_give_none(line):
    assert labelled_date([line]) is None


def test_a_labelled_line_far_down_is_about_something_else():
    lines = [f"第 {number} 段" for number in range(30)] + ["发布时间：2024-03-20"]
    assert labelled_date(lines) is None


def test_a_bare_date_line_and_nothing_else():
    assert bare_date("2024-11-28") == date(2024, 11, 28)
    assert bare_date("📅 2024年11月28日 08:00") == datetime(2024, 11, 28, 8, 0)
    assert bare_date("2024-11-28 发布") is None


def test_the_first_date_in_a_text():
    assert parse_date_text("更新：2024年2月30日") is None
    assert parse_date_text("见 2024-2-29 的公告") == date(2024, 2, 29)
