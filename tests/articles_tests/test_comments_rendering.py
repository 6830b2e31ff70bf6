"""A comment's Markdown: a small safe subset, no images, links that pass on no ranking. Pure."""

import re
from html.parser import HTMLParser

import pytest

from articles.comments.rendering import ALLOWED_TAGS, render_comment
from tests.articles_tests.xss_payloads import PAYLOADS

# How a browser finds an address's scheme: control characters and spaces around it are dropped,
# and tabs and line breaks anywhere; a space inside is kept (and is no scheme character).
CONTROL = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$|[\t\n\r]")
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def test_the_subset_renders():
    assert render_comment("*斜体* **粗体** `code`") == "<p><em>斜体</em> <strong>粗体</strong> <code>code</code></p>"
    assert render_comment("> 引用") == "<blockquote>\n<p>引用</p>\n</blockquote>"
    assert "<li>一</li>" in render_comment("- 一\n- 二")


def test_links_get_nofollow_ugc():
    assert render_comment("[站](https://example.com)") == '<p><a href="https://example.com" rel="nofollow ugc">站</a></p>'


@pytest.mark.parametrize("source", ["![图](https://example.com/a.png)", '<img src="https://example.com/a.png">', "# 标题", "<h1>标题</h1>"])
def test_images_and_headings_are_not_allowed(source):
    html = render_comment(source)
    assert "<img" not in html and "<h1" not in html


class Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_html_is_neutralised(payload):
    for tag, attributes in Elements(render_comment(payload)).found:
        assert tag in ALLOWED_TAGS
        for name, value in attributes:
            assert name in ("href", "rel", "title"), (tag, name)
            scheme = SCHEME.match(CONTROL.sub("", value or "")) if name == "href" else None
            if scheme:  # without a scheme the address is relative: it stays on the site
                assert scheme.group(1).lower() in ("http", "https", "mailto"), value


def test_deep_nesting_renders_in_bounded_time():
    html = render_comment("> " * 1000 + "深")
    assert "深" in html
