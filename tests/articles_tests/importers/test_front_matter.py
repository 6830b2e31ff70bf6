from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.importers.front_matter import FrontMatter, read_front_matter

HEXO_POST = """---
title: Sora 上手指南
date: 2024-03-20 10:30:00
tags: [AI, 视频]
categories: [技术, AI 视频]
summary: 三步做出第一条视频。
slug: sora-guide
---

正文第一段。
"""
CHINA = timezone(timedelta(hours=8))


def test_a_hexo_post_states_title_date_tags_categories_summary_and_slug():
    stated = read_front_matter(HEXO_POST)
    assert stated.title == "Sora 上手指南"
    assert stated.published_at == datetime(2024, 3, 20, 10, 30)
    assert stated.tags == ("AI", "视频")
    assert stated.categories == ("技术", "AI 视频")
    assert stated.description == "三步做出第一条视频。"
    assert stated.slug == "sora-guide"
    assert not stated.draft
    assert stated.warnings == ()


@pytest.mark.parametrize(
    "text",
    [
        HEXO_POST,
        '+++\ntitle = "Sora 上手指南"\ntags = ["AI"]\n+++\n\n正文第一段。\n',
        '{\n  "title": "Sora 上手指南",\n  "tags": ["AI"]\n}\n\n正文第一段。\n',
        '{"title": "Sora 上手指南", "tags": ["AI"]}\n正文第一段。\n',
    ],
    ids=["yaml", "toml", "json", "json-one-line"],
)
def test_the_block_never_reaches_the_body_and_its_title_is_read(text):
    stated = read_front_matter(text)
    assert stated.title == "Sora 上手指南"
    assert stated.body.strip() == "正文第一段。"


def test_toml_dates_with_an_offset_keep_it():
    stated = read_front_matter("+++\ndate = 2024-03-20T10:30:00Z\n+++\n正文")
    assert stated.published_at == datetime(2024, 3, 20, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2024-03-20 10:30:00 +0800", datetime(2024, 3, 20, 10, 30, tzinfo=CHINA)),
        ('"2024-03-20T10:30:00+08:00"', datetime(2024, 3, 20, 10, 30, tzinfo=CHINA)),
        ("2024-03-20T10:30:00.250Z", datetime(2024, 3, 20, 10, 30, tzinfo=UTC)),
        ("2024-03-20 10:30:00.250 -0330", datetime(2024, 3, 20, 10, 30, tzinfo=timezone(-timedelta(hours=3, minutes=30)))),
        ("2024/3/20 10:30", datetime(2024, 3, 20, 10, 30)),
        ("2024-03-20", date(2024, 3, 20)),
    ],
)
def test_stated_dates_keep_their_zone_and_drop_fractions_of_a_second(written, expected):
    stated = read_front_matter(f"---\ndate: {written}\n---\n正文")
    # An aware and a naive datetime are never equal, so this checks the zone too.
    assert stated.published_at == expected
    assert type(stated.published_at) is type(expected)


@pytest.mark.parametrize("written", ["下周三", "2024-02-30", "2024-13-01 10:00:00", "2024-03-20 10:00 +2500", "[2024-03-20]"])
def test_an_unreadable_date_is_left_out_with_a_warning_and_the_rest_is_read(written):
    stated = read_front_matter(f"---\ntitle: t\ndate: {written}\n---\n正文")
    assert (stated.title, stated.body, stated.published_at) == ("t", "正文", None)
    assert len(stated.warnings) == 1 and stated.warnings[0].startswith("元数据里的日期无法识别，未使用：")


def test_a_jekyll_post_takes_its_date_from_the_file_name_unless_the_front_matter_states_one():
    assert read_front_matter("---\ntitle: t\n---\n正文", filename="_posts/2024-03-20-sora.md").published_at == date(2024, 3, 20)
    assert read_front_matter("---\ndate: 2023-01-02\n---\n正文", filename="_posts/2024-03-20-sora.md").published_at == date(2023, 1, 2)
    assert read_front_matter("---\ntitle: t\n---\n正文", filename="_posts/2024-13-40-sora.md").published_at is None


def test_a_file_name_date_without_front_matter_is_not_a_jekyll_date():
    assert read_front_matter("正文", filename="2024-03-20-导出.md").published_at is None


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("[AI, 视频]", ("AI", "视频")),
        ("AI, 视频 剪辑，教程", ("AI", "视频 剪辑", "教程")),
        ("AI 视频 教程", ("AI", "视频", "教程")),
        ("[AI, AI, 2024]", ("AI", "2024")),
    ],
)
def test_tags_may_be_a_list_or_a_comma_or_space_separated_string(written, expected):
    assert read_front_matter(f"---\ntags: {written}\n---\n正文").tags == expected


def test_hexo_category_hierarchies_are_flattened_top_first():
    text = "---\ncategories:\n  - [技术, AI 视频]\n  - [教程]\n---\n正文"
    assert read_front_matter(text).categories == ("技术", "AI 视频", "教程")


def test_a_tag_longer_than_the_tag_column_is_left_out_with_a_warning():
    stated = read_front_matter(f"---\ntags: [短, {'长' * 101}]\n---\n正文")
    assert stated.tags == ("短",)
    assert len(stated.warnings) == 1 and "标签超过 100 个字" in stated.warnings[0]


@pytest.mark.parametrize(
    ("text", "draft"),
    [
        ("---\ndraft: true\n---\n正文", True),
        ("---\npublished: false\n---\n正文", True),
        ('+++\ndraft = "yes"\n+++\n正文', True),
        ("---\ndraft: false\n---\n正文", False),
        ("---\npublished: true\n---\n正文", False),
    ],
)
def test_draft_true_or_published_false_marks_a_draft(text, draft):
    assert read_front_matter(text).draft is draft


@pytest.mark.parametrize(
    ("permalink", "slug"),
    [("/2024/03/sora-guide/", "sora-guide"), ("/posts/sora-guide.html", "sora-guide"), ("/:year/:title/", "")],
)
def test_a_permalinks_last_segment_is_the_slug_but_a_pattern_is_not(permalink, slug):
    assert read_front_matter(f"---\npermalink: {permalink}\n---\n正文").slug == slug


def test_a_slug_wins_over_the_permalink():
    assert read_front_matter("---\nslug: a\npermalink: /b/\n---\n正文").slug == "a"


def test_malformed_yaml_is_dropped_whole_with_a_warning_naming_the_problem():
    text = "---\ntitle: Sora: 上手指南\ntags: [AI, 视频\n---\n\n正文第一段。\n"
    stated = read_front_matter(text, filename="_posts/2024-03-20-sora.md")
    assert stated.body.strip() == "正文第一段。"
    assert stated.title == ""
    assert stated.published_at == date(2024, 3, 20)
    (warning,) = stated.warnings
    assert warning.startswith("文档开头的 YAML 元数据无法读取（mapping values are not allowed")
    assert "元数据第 1 行" in warning


@pytest.mark.parametrize(
    "text",
    ['+++\ntitle = "未闭合\n+++\n正文第一段。', '{\n  "title": "多了逗号",\n}\n正文第一段。'],
    ids=["toml", "json"],
)
def test_malformed_toml_and_json_are_dropped_too(text):
    stated = read_front_matter(text)
    assert stated.body.strip() == "正文第一段。"
    assert len(stated.warnings) == 1 and "元数据无法读取" in stated.warnings[0]


def test_a_bom_and_blank_lines_may_come_before_the_fence():
    stated = read_front_matter("\ufeff\n  \n---\ntitle: t\n---\n正文")
    assert (stated.title, stated.body) == ("t", "正文")


@pytest.mark.parametrize(
    "text",
    [
        "---\n\n一段话，不是元数据。\n\n---\n\n正文",
        "---\n注意：这是重点\n---\n正文",
        "---\n# 标题\n---\n正文",
        "---\ntitle: 没有结束的分隔线\n\n正文",
        "---\nNote: 这是说明\n\n而这一段是正文，没有冒号\n\n---\n\n正文",
        '{"a": 1} 是一个 JSON 例子\n\n正文',
        "{{< youtube abc >}}\n\n正文",
        "正文\n\n---\ntitle: t\n---\n",
    ],
)
def test_text_that_is_not_a_mapping_of_keys_is_markdown_and_stays(text):
    stated = read_front_matter(text)
    assert stated == FrontMatter(body=text)


def test_a_block_without_any_known_key_is_still_dropped_but_the_editor_is_told():
    stated = read_front_matter("---\nNote: 这是说明\n---\n正文")
    assert stated.body == "正文"
    assert stated.warnings == ("文档开头的 YAML 元数据里没有可用的字段（Note），已略去",)


def test_an_empty_block_is_dropped_silently():
    stated = read_front_matter("---\n---\n正文")
    assert (stated.body, stated.warnings) == ("正文", ())


def test_well_known_keys_the_import_does_not_use_are_not_warned_about():
    assert read_front_matter("---\nlayout: post\ncomments: true\n---\n正文").warnings == ()


PLAIN_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@settings(max_examples=100, deadline=None)
@given(title=PLAIN_TEXT, tags=st.lists(PLAIN_TEXT, max_size=5), body=st.text(max_size=200))
def test_any_title_and_tags_a_yaml_library_writes_read_back_and_the_body_stays_whole(title, tags, body):
    block = yaml.safe_dump({"title": title, "tags": tags}, allow_unicode=True)
    stated = read_front_matter(f"---\n{block}---\n正文{body}")
    assert stated.title == " ".join(title.split())
    assert stated.tags == tuple(dict.fromkeys(name for tag in tags if (name := " ".join(tag.split()))))
    assert stated.body == f"正文{body}"


@pytest.mark.parametrize(("written", "access"), [("free", "free"), ("members", "members"), ("Members", "members"), ('"free"', "free")])
def test_access_states_whether_the_article_is_free(written, access):
    assert read_front_matter(f"---\ntitle: t\naccess: {written}\n---\n正文").access == access


def test_an_unknown_access_is_left_to_the_import_with_a_warning():
    stated = read_front_matter("---\ntitle: t\naccess: vip\n---\n正文")
    assert stated.access == ""
    assert any("access" in warning and "vip" in warning for warning in stated.warnings)
    assert read_front_matter("---\ntitle: t\n---\n正文").access == ""
