import html
import re

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.importers.links import autolink_markdown
from articles.importers.plain_text import escape_line

RENDERER_EXTENSIONS = ["extra", "admonition", "sane_lists", "toc"]
MARKDOWN_CHARACTERS = list("\\`*_{}[]()#+-.!|<>&:~=\"' ") + ["1. ", "- ", "> ", "!!! ", "```", "~~~", "[^1]", "{: .x}", "*[", "&amp;", "<b>", "http://a.cn/x_y"]
LINES = st.lists(
    st.one_of(st.sampled_from(MARKDOWN_CHARACTERS), st.text(alphabet="ab中文1 ", min_size=1, max_size=3)),
    max_size=20,
).map("".join)


def rendered_text(markdown_text: str) -> str:
    html_text = markdown.markdown(markdown_text, extensions=RENDERER_EXTENSIONS)
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


@settings(max_examples=300, deadline=None)
@given(LINES)
def test_an_escaped_line_renders_to_exactly_its_text(line):
    assert rendered_text(escape_line(line)) == line.strip()


def test_an_entity_inside_a_url_stays_literal():
    """Found by the property above: an autolink read "&amp;" as "&"."""
    for line in ("http://a.cn/x_y&amp;_", "见 https://a.cn/?a=1&b=2 与 https://a.cn/&lt;"):
        assert rendered_text(escape_line(line)) == line


def test_markdown_and_html_in_plain_text_render_literally():
    line = "<script>alert('x')</script> **粗** 1. [a](b) &lt;"
    assert rendered_text(escape_line(line)) == line
    assert "<script" not in markdown.markdown(escape_line(line))


def test_urls_in_plain_text_become_links_without_their_full_stop():
    assert escape_line("见 https://a.cn/x_y。") == "见 <https://a.cn/x_y>。"
    assert escape_line("see https://a.cn/x.") == "see <https://a.cn/x>."


def test_urls_inside_links_code_and_html_blocks_are_left_alone():
    lines = [
        "[https://a.cn](https://a.cn) `https://b.cn` <https://c.cn>",
        "",
        '<div title="x">https://d.cn</div>',
        "",
        "```",
        "https://e.cn",
        "```",
    ]
    assert autolink_markdown(lines) == lines
