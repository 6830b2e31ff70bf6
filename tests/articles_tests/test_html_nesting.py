"""The nesting guard in front of nh3: HTML that would open more than MAX_OPEN_ELEMENTS at once is
refused, and what a browser (or nh3's parser, html5ever) closes by itself is not counted."""

import re
from html.parser import HTMLParser

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.html_nesting import MAX_OPEN_ELEMENTS, NOT_STACKED, VOID_ELEMENTS, limit_open_elements
from articles.markdown import markdown_to_html
from articles.markdown_budget import MarkdownTooComplex

NAME_RE = re.compile(r"</?([A-Za-z][^\t\n\r\f />]*)")
# nh3 writes their text back unescaped, which would read back as tags.
RAW_TEXT = {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}


class DeepestElement(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag not in VOID_ELEMENTS and tag not in NOT_STACKED:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag not in VOID_ELEMENTS and tag not in NOT_STACKED:
            self.depth -= 1


def depth_parsed_by_nh3(html: str) -> int:
    """How deep nh3's parser nests `html`, read from its output with every element kept."""
    names = {name.lower() for name in NAME_RE.findall(html)} - RAW_TEXT
    parser = DeepestElement()
    parser.feed(nh3.clean(html, tags=names, clean_content_tags=set(), attributes={}, strip_comments=False))
    return parser.deepest


def refused(html: str) -> bool:
    try:
        limit_open_elements(html)
    except MarkdownTooComplex:
        return True
    return False


def test_unclosed_elements_past_the_limit_are_refused():
    assert refused("<div>" * (MAX_OPEN_ELEMENTS + 1))
    assert not refused("<div>" * MAX_OPEN_ELEMENTS)


def test_closed_elements_never_add_up():
    assert not refused(("<div>" * 200 + "<b>x</b>" + "</div>" * 200) * 50)


def test_elements_the_parser_closes_itself_never_add_up():
    html = "<p>a" * 1000 + "<ul>" + "<li>b" * 1000 + "</ul><dl>" + "<dt>c<dd>d" * 500 + "</dl>" + "<h2>e" * 500
    assert not refused(html)
    assert depth_parsed_by_nh3(html) < 5


def test_tags_inside_scripts_and_styles_do_not_count():
    assert not refused("<script>" + "if (a<b) {}" * 1000 + "</script><style>" + "<div>" * 300 + "</style>")


def test_self_closing_svg_elements_do_not_count_but_html_ones_do():
    assert not refused("<p>" + '<svg viewBox="0 0 9 9"><path d="M0 0"/><rect/></svg>' * 300 + "</p>")
    assert refused("<div/>" * 300)


def test_an_article_with_deep_lists_tables_and_raw_html_is_not_refused():
    nested_list = "".join("\n" + "    " * depth + f"- 第{depth}层" for depth in range(12))
    table = "|a|b|\n|-|-|\n" + "|1|<span>2</span>|\n" * 300
    raw = '<div class="note"><p>说明 <b>粗</b> <a href="/x">链接</a></p></div>\n\n' * 300
    assert not refused(markdown_to_html(nested_list + "\n\n" + table + "\n\n" + raw))


# Each once let the sketch close an element that nh3's parser keeps open, found by comparing the two
# on generated markup; repeated, they nest deeper than the limit in nh3.
PARSER_KEEPS_OPEN = [
    "<span><div></span></span>",
    "<div><table></div></table>",
    "<dd><li><p>",
    "</li><li><br><ol>",
    "<p><dl></p></caption>",
    "</h2><h2></address><div><caption><h1>",
    "<address><noscript></figure><title></dd></noscript>",
    "</b></form><form><em><ruby>",
    "<math><ruby></math>",
    "</rt></br></option><option><object></h2></select></ul><math>",
    "<li><b></foreignObject></g></ruby><mi/><section></mi></b><br>",
    "</font><font color=red>x<section></input></plaintext><form><math></hr><td>",
    "<rb><rt>",
    "<optgroup>",
]


@pytest.mark.parametrize("unit", PARSER_KEEPS_OPEN)
def test_what_the_parser_keeps_open_is_counted(unit):
    html = unit * (MAX_OPEN_ELEMENTS + 50)
    assert depth_parsed_by_nh3(html) > MAX_OPEN_ELEMENTS
    assert refused(html)


PIECES = [
    *(
        f"<{name}>"
        for name in "div span b i p li ul table tr td option select button svg math g a dd dl form h1 h2 mi desc foreignObject font em object template ruby rt rb section pre".split()
    ),
    *(
        f"</{name}>"
        for name in "div span b i p li ul table tr td option select button svg math g a dd dl form h1 h2 mi desc foreignObject font em object template ruby rt rb section pre br".split()
    ),
    "x",
    "<br>",
    "<g/>",
    '<path d="M0 0"/>',
    "<font face=x>",
    '<annotation-xml encoding="text/html">',
    "<mglyph>",
]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join))
def test_the_sketch_never_holds_fewer_elements_than_the_parser(unit):
    html = unit * (MAX_OPEN_ELEMENTS + 50)
    assert refused(html) or depth_parsed_by_nh3(html) <= MAX_OPEN_ELEMENTS
