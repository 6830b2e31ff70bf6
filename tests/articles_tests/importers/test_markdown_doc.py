import pytest

from articles.importers import parse_document

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
        "一、Sora介绍", "二、Sora 是什么意思", "三、Sora 有哪些特色优势？", "四、Sora生成的演示视频",
        "五、Sora 团队背景介绍", "六、技术原理", "七、搞钱变现思路",
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
