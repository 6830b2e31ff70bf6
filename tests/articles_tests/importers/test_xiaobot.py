from datetime import date

import pytest

from articles.importers import parse_document

from .helpers import XIAOBOT_SEED, seed

# The page's quote lines end in spaces, Markdown's hard line break.
HARD_BREAK = "    "
SYNTHETIC_PAGE = f"""# 效率手册_小报童_Awesome_XiaoBOT

## 效率手册介绍
> 每周一篇效率方法{HARD_BREAK}
作者:小明

|名称|作者|读者数量|内容数量|更新时间|
|---|---|---|---|---|
|[效率手册](https://xiaobot.net/p/xiaolv?refer=abc-123&utm_source=x)|小明|1,024人|12篇|2024-03-05|

## 最近更新
### 002 方法篇：番茄工作法

正文二……

### 001 方法篇：时间块

正文一
"""


@pytest.fixture(scope="module")
def seed_page():
    return parse_document(seed(XIAOBOT_SEED), filename=XIAOBOT_SEED)


def test_seed_column_facts_come_from_title_table_and_intro(seed_page):
    column = seed_page.column
    assert seed_page.format == "xiaobot"
    assert column.title == seed_page.title == "Sora，从入门到精通"
    assert column.author_name == "清风徐来"
    assert column.stated_reader_count == 242
    assert column.stated_article_count == 189
    assert column.updated_on == date(2024, 11, 28)
    assert column.source_url == seed_page.source_url == "https://xiaobot.net/p/91sora"
    assert column.intro_markdown.startswith("推荐一个保姆级 Sora 千货\n\n分为六个栏目")
    assert ">" not in column.intro_markdown


def test_seed_posts_keep_page_order_with_their_stated_numbers(seed_page):
    assert [article.number for article in seed_page.articles] == list(range(10, 0, -1))
    assert [article.identity for article in seed_page.articles] == [f"{n:03d}" for n in range(10, 0, -1)]
    assert seed_page.newest_first
    first = seed_page.articles[0]
    assert first.title == "工具篇：打开兵器库，AI做视频工具集锦"
    assert first.section == "工具篇"


def test_seed_series_names_become_sections(seed_page):
    sections = {article.number: article.section for article in seed_page.articles}
    assert sections == {
        10: "工具篇",
        9: "基础篇",
        8: "基础篇",
        7: "逻辑篇",
        6: "基础篇",
        5: "认知篇",
        4: "认知篇",
        3: "认知篇",
        2: "认知篇",
        1: "认知篇",
    }


def test_seed_posts_cut_off_with_six_dots_are_excerpts(seed_page):
    excerpts = {article.number for article in seed_page.articles if article.full_text_missing}
    assert excerpts == set(range(2, 11))


def test_seed_full_post_keeps_its_own_headings_and_loses_the_page_footer(seed_page):
    body = seed_page.articles[-1].body_markdown
    assert "#### **五、赚钱机会点**" in body
    assert body.startswith("阅读指引：本篇术语较多，了解即可")
    assert "awesome-xiaobot" not in body
    assert "返回 [首页]" not in body
    assert body.endswith("937356f6e4d0676a14ceaf34351f37f9.png)")


def test_web_images_are_not_reported_as_local(seed_page):
    assert all(article.image_paths == () for article in seed_page.articles)
    assert seed_page.warnings == ()


def test_refer_is_removed_from_the_column_url_but_other_parameters_stay():
    page = parse_document(SYNTHETIC_PAGE)
    assert page.column.source_url == "https://xiaobot.net/p/xiaolv?utm_source=x"
    assert page.column.stated_reader_count == 1024


def test_crlf_line_endings_parse_like_lf():
    assert parse_document(SYNTHETIC_PAGE.replace("\n", "\r\n")) == parse_document(SYNTHETIC_PAGE)


def test_ellipsis_characters_mark_an_excerpt_too():
    page = parse_document(SYNTHETIC_PAGE)
    assert [(article.number, article.full_text_missing) for article in page.articles] == [(2, True), (1, False)]


def test_posts_stating_no_date_leave_it_to_the_importer(seed_page):
    assert {article.published_at for article in seed_page.articles} == {None}


def test_page_without_intro_has_an_empty_intro():
    text = SYNTHETIC_PAGE.replace("## 效率手册介绍\n> 每周一篇效率方法    \n作者:小明\n", "")
    page = parse_document(text)
    assert page.column.intro_markdown == ""
    assert page.column.author_name == "小明"


def test_page_without_table_keeps_title_and_warns():
    text = "\n".join(line for line in SYNTHETIC_PAGE.split("\n") if not line.startswith("|"))
    page = parse_document(text)
    assert page.format == "xiaobot"
    assert page.column.title == "效率手册"
    assert page.column.author_name == ""
    assert page.column.stated_reader_count is None
    assert page.column.updated_on is None
    assert page.column.source_url == ""
    assert any("表格" in warning for warning in page.warnings)
    assert len(page.articles) == 2


def test_half_width_colon_and_extra_spaces_in_titles():
    text = SYNTHETIC_PAGE.replace("### 002 方法篇：番茄工作法", "###   002   方法篇 :  番茄   工作法  ")
    article = parse_document(text).articles[0]
    assert (article.number, article.section, article.title) == (2, "方法篇", "方法篇 : 番茄 工作法")


def test_posts_without_numbers_have_no_number_and_are_known_by_title():
    text = SYNTHETIC_PAGE.replace("### 002 方法篇：", "### ").replace("### 001 方法篇：", "### ")
    page = parse_document(text)
    assert [(article.number, article.title, article.section, article.identity) for article in page.articles] == [
        (None, "番茄工作法", "", "t:番茄工作法"),
        (None, "时间块", "", "t:时间块"),
    ]
    assert page.newest_first


def test_mixed_numbering_drops_every_number_and_keeps_titles_whole():
    text = SYNTHETIC_PAGE.replace("### 001 方法篇：", "### 方法篇：")
    page = parse_document(text)
    assert [(article.number, article.title, article.identity) for article in page.articles] == [
        (None, "002 方法篇：番茄工作法", "t:方法篇番茄工作法"),
        (None, "方法篇：时间块", "t:方法篇时间块"),
    ]
    assert any("按标题识别" in warning for warning in page.warnings)
    assert not any("重新编号" in warning for warning in page.warnings)


@pytest.mark.parametrize("title", ["100 个提示词", "2024 年度总结", "3步学会剪辑"])
def test_quantities_at_the_start_of_a_title_are_not_article_numbers(title):
    text = SYNTHETIC_PAGE.replace("### 002 方法篇：番茄工作法", f"### {title}")
    assert parse_document(text).articles[0].title == title


def test_post_without_text_is_kept_as_missing_its_full_text():
    text = SYNTHETIC_PAGE.replace("正文一\n", "")
    page = parse_document(text)
    article = page.articles[-1]
    assert (article.title, article.body_markdown, article.full_text_missing) == ("方法篇：时间块", "", True)
    assert any("没有正文" in warning for warning in page.warnings)


def test_bare_urls_in_posts_become_links():
    text = SYNTHETIC_PAGE.replace("正文一", "见 https://example.com/a_b。")
    assert parse_document(text).articles[-1].body_markdown == "见 <https://example.com/a_b>。"


def test_reader_count_in_ten_thousands():
    text = SYNTHETIC_PAGE.replace("1,024人", "1.2万人")
    assert parse_document(text).column.stated_reader_count == 12000
