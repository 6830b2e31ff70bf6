"""A book as a txt download site serves it: the site's ads around it, its title line, its date."""

from datetime import date

import pytest

from articles.importers import parse_document

DOWNLOADED_BOOK = """更多精校小说尽在知轩藏书下载：http://www.zxcs.me/
==========================================================
《Sora 从入门到精通》 作者：清风徐来
出品时间：2024 年 5 月 20 日
------------用户上传之内容开始------------

内容简介
本书讲解 Sora 的用法。

第 1 章 认识 Sora

Sora 是一个视频生成模型。
Sora官方网址：https://openai.com/sora

【更多精彩好书，更多原创手机电子书，请登陆奇书网--Www.Qisuu.Com】

第 2 章 使用 Sora

输入提示词，生成视频。

------------用户上传之内容结束------------
本书来自www.cr173.com免费txt小说下载站
本作品来自互联网,本人不做任何负责 内容版权归作者所有!
www.zxcs.me
★☆★☆★☆★☆★☆★☆
"""


@pytest.fixture(scope="module")
def book():
    return parse_document(DOWNLOADED_BOOK, filename="[知轩藏书]Sora从入门到精通.txt")


def test_the_title_comes_from_the_title_line_not_the_file_name(book):
    assert book.format == "book"
    assert book.title == "Sora 从入门到精通"


def test_the_site_wrapping_is_dropped_and_listed(book):
    assert book.dropped_lines == (
        "更多精校小说尽在知轩藏书下载：http://www.zxcs.me/",
        "==========================================================",
        "------------用户上传之内容开始------------",
        "【更多精彩好书，更多原创手机电子书，请登陆奇书网--Www.Qisuu.Com】",
        "------------用户上传之内容结束------------",
        "本书来自www.cr173.com免费txt小说下载站",
        "本作品来自互联网,本人不做任何负责 内容版权归作者所有!",
        "www.zxcs.me",
        "★☆★☆★☆★☆★☆★☆",
    )


def test_chapters_keep_their_text_and_a_sentence_naming_a_website(book):
    assert [(article.title, article.body_markdown) for article in book.articles] == [
        ("前言", "作者：清风徐来\n\n出品时间：2024 年 5 月 20 日\n\n内容简介\n\n本书讲解 Sora 的用法。"),
        ("第 1 章 认识 Sora", "Sora 是一个视频生成模型。\n\nSora官方网址：<https://openai.com/sora>"),
        ("第 2 章 使用 Sora", "输入提示词，生成视频。"),
    ]


def test_the_stated_date_dates_every_article_and_identities_are_titles(book):
    assert [(article.identity, article.number, article.published_at) for article in book.articles] == [
        ("t:前言", None, date(2024, 5, 20)),
        ("t:第1章认识sora", 1, date(2024, 5, 20)),
        ("t:第2章使用sora", 2, date(2024, 5, 20)),
    ]


def test_the_whole_book_is_known_by_its_title_and_drops_the_same_lines(book):
    whole = parse_document(DOWNLOADED_BOOK, filename="x.txt", split="whole")
    (article,) = whole.articles
    assert (article.title, article.identity, article.published_at) == (
        "Sora 从入门到精通",
        "t:sora从入门到精通",
        date(2024, 5, 20),
    )
    assert whole.dropped_lines == book.dropped_lines
    assert "zxcs" not in article.body_markdown and "Qisuu" not in article.body_markdown


def test_a_book_stating_no_date_leaves_it_to_the_importer():
    articles = parse_document("第 1 章 开始\n\n正文", format="book").articles
    assert articles[0].published_at is None


def test_a_date_inside_a_chapter_does_not_date_the_book():
    articles = parse_document("第 1 章 Sora 发布\n\n发布时间：2024 年 2 月 15 日\n\n正文", format="book").articles
    assert articles[0].published_at is None


def filler(count: int, start: int = 0) -> list[str]:
    return [f"第{index}段正文。" for index in range(start, start + count)]


def test_an_address_alone_in_the_middle_of_a_book_is_its_text():
    lines = ["第 1 章 开始", *filler(20), "www.example.com", "* * *", *filler(20, 20)]
    document = parse_document("\n\n".join(lines), format="book")
    assert document.dropped_lines == ()
    assert "www.example.com" in document.articles[0].body_markdown


def test_a_link_with_a_path_near_the_start_is_the_books_own():
    text = "第 1 章 开始\n\n配套资源下载：\n\nhttps://pan.baidu.com/s/1abc\n\n正文。"
    document = parse_document(text, format="book")
    assert document.dropped_lines == ()
    assert "<https://pan.baidu.com/s/1abc>" in document.articles[0].body_markdown


def test_an_upload_that_is_only_an_address_keeps_it():
    document = parse_document("www.example.com", format="book")
    assert document.dropped_lines == ()
    assert document.articles[0].body_markdown == "www.example.com"


@pytest.mark.parametrize(
    "line",
    ["书名：《三体》", "《三体》", "《三体》（全集）", "《 三体 》 刘慈欣 著"],
)
def test_a_title_line_among_the_first_lines_names_the_book(line):
    text = f"内容简介\n\n{line}\n\n第一章 开始\n\n正文"
    assert parse_document(text, filename="x.txt", format="book").title == "三体"


def test_a_sentence_that_opens_with_a_book_name_is_not_a_title_line():
    text = "《三体》是一部科幻小说。\n\n第一章 开始\n\n正文"
    assert parse_document(text, filename="下载.txt", format="book").title == "下载"


@pytest.mark.parametrize(
    "first_line",
    [
        "第1篇",
        "1.1 认识 Sora",
        "图 1-1 示意图",
        "专家提醒",
        "作者：某人",
        "出品时间：2024-05-20",
        "2024-05-20",
        "前言",
        "这是一个句子。",
        "https://pan.baidu.com/s/1abc",
        "① 第一点",
        "甲" * 41,
        "12345",
    ],
)
def test_a_first_line_that_is_not_a_title_leaves_the_file_name(first_line):
    text = f"{first_line}\n\n第 1 章 开始\n\n正文"
    assert parse_document(text, filename="文件名.txt", format="book").title == "文件名"
