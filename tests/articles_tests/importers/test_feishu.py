import re
from datetime import date

import pytest

from articles.importers import parse_document
from articles.importers.identity import title_identity

from .helpers import FEISHU_SEED, FEISHU_VIDEO_SEED, seed


@pytest.fixture(scope="module")
def sora_analysis():
    return parse_document(seed(FEISHU_SEED), filename=FEISHU_SEED)


@pytest.fixture(scope="module")
def news_digest():
    return parse_document(seed(FEISHU_VIDEO_SEED), filename=FEISHU_VIDEO_SEED)


def test_seed_title_and_source_come_from_the_top_of_the_document(sora_analysis):
    assert sora_analysis.format == "feishu"
    assert sora_analysis.title == "AI产品丨01 Sora深度解析：OpenAI的文生视频革命"
    assert sora_analysis.source_url == "https://t16jzwqrzjx.feishu.cn/docx/Dh6Rd3e0QoJlSgx8oNjcvVYSnjg"
    assert sora_analysis.column is None


def test_seed_is_one_article_by_default_without_title_and_source_line(sora_analysis):
    (article,) = sora_analysis.articles
    assert article.title == sora_analysis.title
    assert article.source_url == sora_analysis.source_url
    assert article.number is None and article.section == ""
    assert "来源" not in article.body_markdown
    assert not article.body_markdown.startswith("# AI产品")


def test_seed_feishu_h1_parts_move_down_a_level_under_the_title(sora_analysis):
    body = sora_analysis.articles[0].body_markdown
    assert body.startswith("## 前言")
    assert "\n## 一、划时代产品Sora\n" in body
    assert "\n### 1.1 案例对比\n" in body
    assert not re.search(r"^# ", body, re.MULTILINE)


def test_seed_local_images_are_listed_in_order(sora_analysis):
    article = sora_analysis.articles[0]
    assert len(article.image_paths) == 36
    assert article.image_paths[0] == "img/17f549081777be767b95bb8f616a0f3c.png"
    assert article.image_paths[-1] == "img/dcf3b532d2776aab5da1c3860a08e35f.png"
    assert re.findall(r"!\[\]\((img/[^)]+)\)", article.body_markdown) == list(article.image_paths)


def test_seed_with_code_span_link_text_still_yields_the_source(news_digest):
    assert news_digest.title == "三、月航海 Sora 交流 资讯合集"
    assert news_digest.source_url == "https://jviztcgxxfy.feishu.cn/docx/Ah95dcemYoSTKZxYqMOcBMXAnPf"
    assert len(news_digest.articles[0].image_paths) == 87


def test_seed_online_videos_become_placeholders_naming_the_video(news_digest):
    body = news_digest.articles[0].body_markdown
    placeholders = re.findall(r'^<div class="media-placeholder media-video">视频（原文为在线播放，未导入）：(.*)</div>$', body, re.MULTILINE)
    assert len(placeholders) == 21
    assert placeholders[0] == "05f698ff0d851448e2749474649b3b.mp4"
    assert "演示.mp4" in placeholders
    assert "【在线播放】" not in body


def test_heading_split_starts_an_article_at_each_top_level_part(sora_analysis):
    parts = parse_document(seed(FEISHU_SEED), split="heading").articles
    assert [article.title for article in parts] == [
        "前言",
        "一、划时代产品Sora",
        "二、文生视频赛道解析",
        "三、Sora能力解析",
        "四、Sora的影响",
        "五、Sora对应的赚钱机会",
        "结语",
        "🌟 知识库内容汇总",
    ]
    assert [article.number for article in parts] == list(range(1, 9))
    assert {article.section for article in parts} == {sora_analysis.title}
    assert sum(len(article.image_paths) for article in parts) == 36
    assert parts[1].body_markdown.startswith("## 1.1 案例对比")
    assert parts[-1].full_text_missing


def test_heading_split_uses_the_level_that_repeats_when_the_top_one_does_not(news_digest):
    parts = parse_document(seed(FEISHU_VIDEO_SEED), split="heading").articles
    titles = [article.title for article in parts]
    assert titles[:3] == [news_digest.title, "写在前面", "一、Sora 是什么？"]
    assert titles[-1] == "附：资料整理出品人-大国的个人思考"
    assert parts[0].body_markdown.startswith("![](img/198c6c3de188a972438aa6795b8faeb7.png)")
    assert parts[2].body_markdown.startswith("### 1.1 基本介绍")


def test_document_without_source_line_has_no_source_and_keeps_its_text():
    text = "# 笔记\n\n![](img/0123456789abcdef0123456789abcdef.png)\n\n第一段\n\nclip.mp4【在线播放】\n"
    document = parse_document(text, format="feishu")
    assert document.source_url == ""
    assert document.articles[0].body_markdown.startswith("![](img/0123456789abcdef0123456789abcdef.png)\n\n第一段")
    assert document.articles[0].image_paths == ("img/0123456789abcdef0123456789abcdef.png",)


def test_video_names_are_html_escaped_in_placeholders():
    body = parse_document("# t\n\n<b>x</b>&.mp4【在线播放】", format="feishu").articles[0].body_markdown
    assert "视频（原文为在线播放，未导入）：&lt;b&gt;x&lt;/b&gt;&amp;.mp4</div>" in body


def test_a_quoted_source_far_below_the_title_is_ordinary_text():
    text = "# t\n\n一\n\n二\n\n三\n\n> 来源：[某报](https://example.com)\n"
    document = parse_document(text, format="feishu")
    assert document.source_url == ""
    assert "> 来源：[某报](https://example.com)" in document.articles[0].body_markdown


def test_seed_production_date_line_dates_the_digest_and_stays_in_its_text(news_digest):
    article = news_digest.articles[0]
    assert article.published_at == date(2024, 3, 20)
    assert "\n出品时间：2024 年 3 月 20 日\n" in article.body_markdown


def test_seed_without_a_stated_date_has_none(sora_analysis):
    assert sora_analysis.articles[0].published_at is None


def test_seed_parts_carry_the_digests_date_and_are_known_by_their_headings():
    parts = parse_document(seed(FEISHU_VIDEO_SEED), split="heading").articles
    assert {part.published_at for part in parts} == {date(2024, 3, 20)}
    assert [part.identity for part in parts[:3]] == ["t:三月航海sora交流资讯合集", "t:写在前面", "t:一sora是什么"]
    assert len({part.identity for part in parts}) == len(parts)


def test_seed_is_known_by_its_title_not_its_file_name(sora_analysis):
    renamed = parse_document(seed(FEISHU_SEED), filename="另存为.md")
    assert renamed.articles[0].identity == sora_analysis.articles[0].identity == title_identity(sora_analysis.title)


def test_markdown_export_images_have_no_original_urls(sora_analysis):
    assert sora_analysis.articles[0].image_sources == ()


def test_front_matter_on_a_feishu_export_is_read_too():
    document = parse_document("---\ntags: [飞书]\n---\n# 笔记\n\n> 来源：[笔记](https://a.feishu.cn/docx/x)\n\n正文", format="feishu")
    assert (document.title, document.source_url) == ("笔记", "https://a.feishu.cn/docx/x")
    assert document.articles[0].tags == ("飞书",)
    assert document.articles[0].body_markdown == "正文"
