"""A post is known by what it states about itself, never by its place on the page.

awesome-xiaobot archives a column's most recent posts, newest first, so a later snapshot lists
other posts in the same places. Each test builds snapshots of one column at three moments: posts
1–10, then 6–15 (five shared with the first), then 180–189 (none shared).
"""

import pytest

from articles.importers import parse_document

SNAPSHOTS = (range(1, 11), range(6, 16), range(180, 190))
TOPICS = ("番茄工作法", "时间块", "清单革命", "晨间日记", "深度工作")


def post_title(number: int) -> str:
    return f"方法篇：{TOPICS[number % len(TOPICS)]}其{number}"


def page(headings_and_bodies: list[tuple[str, str]]) -> str:
    lines = [
        "# 效率手册_小报童_Awesome_XiaoBOT",
        "",
        "|名称|作者|读者数量|内容数量|更新时间|",
        "|---|---|---|---|---|",
        "|[效率手册](https://xiaobot.net/p/xiaolv)|小明|12人|3篇|2024-03-05|",
        "",
        "## 最近更新",
    ]
    for heading, body in headings_and_bodies:
        lines += [f"### {heading}", "", body, ""]
    return "\n".join(lines)


def numbered(number: int) -> str:
    return f"{number:03d} {post_title(number)}"


def unnumbered(number: int) -> str:
    return post_title(number)


def every_third_numbered(number: int) -> str:
    return numbered(number) if number % 3 == 0 else unnumbered(number)


def snapshot(numbers: range, heading) -> dict[int, str]:
    """{post number: identity} for a snapshot listing the posts newest first."""
    newest_first = sorted(numbers, reverse=True)
    document = parse_document(page([(heading(number), f"第 {number} 篇的正文") for number in newest_first]))
    posts = [int(article.body_markdown.split()[1]) for article in document.articles]
    assert posts == newest_first
    return dict(zip(posts, (article.identity for article in document.articles), strict=True))


@pytest.mark.parametrize("heading", [numbered, unnumbered, every_third_numbered])
def test_the_same_post_keeps_its_identity_across_snapshots_and_no_two_posts_share_one(heading):
    identities = [snapshot(numbers, heading) for numbers in SNAPSHOTS]
    posts_by_identity: dict[str, set[int]] = {}
    for found in identities:
        for post, identity in found.items():
            posts_by_identity.setdefault(identity, set()).add(post)
    assert all(len(posts) == 1 for posts in posts_by_identity.values())
    assert len(posts_by_identity) == len({post for found in identities for post in found})
    older, newer, _ = identities
    assert all(older[post] == newer[post] for post in range(6, 11))
    assert "" not in posts_by_identity


def test_consistently_numbered_posts_are_known_by_number():
    assert snapshot(range(6, 16), numbered)[7] == "007"


def test_a_post_keeps_its_identity_when_only_some_posts_state_a_number():
    assert snapshot(range(1, 11), every_third_numbered)[6] == snapshot(range(1, 11), unnumbered)[6]


def test_a_page_where_only_some_posts_are_numbered_keeps_the_numbers_in_the_titles_only():
    document = parse_document(page([(numbered(3), "正文"), (unnumbered(2), "正文"), (numbered(1), "正文")]))
    assert [(article.number, article.title) for article in document.articles] == [
        (None, numbered(3)),
        (None, unnumbered(2)),
        (None, numbered(1)),
    ]
    assert document.articles[0].identity == "t:方法篇晨间日记其3"


def test_a_repeated_number_makes_the_posts_known_by_title():
    document = parse_document(page([("003 周报", "正文"), ("003 答疑", "正文")]))
    assert [(article.number, article.identity) for article in document.articles] == [
        (None, "t:周报"),
        (None, "t:答疑"),
    ]


def test_duplicate_titles_are_told_apart_counting_from_the_oldest():
    document = parse_document(page([("答疑", "三"), ("周报", "二"), ("答疑 ", "一"), ("答疑！", "零")]))
    assert [article.identity for article in document.articles] == ["t:答疑~3", "t:周报", "t:答疑~2", "t:答疑"]


def test_an_untitled_post_still_has_an_identity():
    document = parse_document(page([("   ", "只有正文")]), format="xiaobot")
    assert document.articles[0].identity == "t:未命名文档"
