"""The column table of a xiaobot page: name, author, readers, posts, last update.

A "|" inside a cell (an author "张三|Zhang San", a name in its link) splits the row into more
cells than the header has; the row is then read from its right end, where the cells have forms
of their own.
"""

from datetime import date

import pytest

from articles.importers import parse_document

HEADER = "|名称|作者|读者数量|内容数量|更新时间|"
LINK = "[效率手册](https://xiaobot.net/p/xiaolv?refer=abc)"


def column(*rows: str, title_line: str = "# 效率手册_小报童_Awesome_XiaoBOT"):
    text = "\n".join([title_line, "", *rows, "", "## 最近更新", "### 001 开篇", "", "正文"])
    return parse_document(text, format="xiaobot").column


def facts(parsed) -> tuple:
    return (
        parsed.author_name,
        parsed.stated_reader_count,
        parsed.stated_article_count,
        parsed.updated_on,
        parsed.source_url,
    )


EXPECTED = ("张三|Zhang San", 242, 189, date(2024, 11, 28), "https://xiaobot.net/p/xiaolv")


def test_a_pipe_in_the_author_cell_does_not_shift_the_counts():
    parsed = column(HEADER, "|---|---|---|---|---|", f"|{LINK}|张三|Zhang San|242人|189篇|2024-11-28|")
    assert facts(parsed) == EXPECTED


def test_an_escaped_pipe_in_the_author_cell_stays_in_the_name():
    parsed = column(HEADER, "|---|---|---|---|---|", f"|{LINK}|张三\\|Zhang San|242人|189篇|2024-11-28|")
    assert facts(parsed) == EXPECTED


def test_a_pipe_inside_the_name_link_stays_in_the_name():
    link = "[效率|手册](https://xiaobot.net/p/xiaolv?refer=abc)"
    parsed = column(HEADER, f"|{link}|张三|Zhang San|242人|189篇|2024-11-28|", title_line="")
    assert parsed.title == "效率|手册"
    assert facts(parsed) == EXPECTED


@pytest.mark.parametrize(("readers", "expected"), [("1.2万人", 12_000), ("3万人", 30_000), ("1,024人", 1024)])
def test_reader_counts_in_ten_thousands_are_found_in_a_shifted_row(readers, expected):
    parsed = column(HEADER, f"|{LINK}|张三|Zhang San|{readers}|189篇|2024-11-28|")
    assert (parsed.author_name, parsed.stated_reader_count, parsed.stated_article_count) == (
        "张三|Zhang San",
        expected,
        189,
    )


def test_a_table_in_another_column_order_is_read_by_header_name():
    parsed = column("|更新时间|内容数量|读者数量|作者|名称|", "|---|---|---|---|---|", f"|2024-11-28|189篇|242人|张三|{LINK}|")
    assert facts(parsed) == ("张三", 242, 189, date(2024, 11, 28), "https://xiaobot.net/p/xiaolv")


def test_a_row_as_long_as_the_header_is_read_by_name_even_with_an_odd_cell():
    parsed = column(HEADER, f"|{LINK}|张三|—|189篇|2024-11-28|")
    assert facts(parsed) == ("张三", None, 189, date(2024, 11, 28), "https://xiaobot.net/p/xiaolv")
