"""render_markdown's output, parsed back: only allowed tags, attributes and URL schemes ever survive.

A payload corpus, generated input, and pathological input (bench/inputs.py times it against its budget).
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.markdown import ALLOWED_ATTRIBUTES, ALLOWED_CLASSES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES, render_markdown
from bench.hostile_inputs import PATHOLOGICAL
from tests.articles_tests.xss_payloads import PAYLOADS, SCHEMES

URL_ATTRIBUTES = {"href", "src"}
TAB_OR_NEWLINE_RE = re.compile(r"[\t\n\r]")


class OutputAudit(HTMLParser):
    """Everything wrong with an HTML fragment that claims to be sanitized."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self.check(tag, attrs)

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl!r}")

    def unknown_decl(self, data):
        self.problems.append(f"declaration {data!r}")

    def check(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ALLOWED_ATTRIBUTES["*"] | {"class", "rel"}
        for name, value in attrs:
            if name not in allowed or name.startswith("on"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "class" and not set((value or "").split()) <= ALLOWED_CLASSES.get(tag, set()):
                self.problems.append(f"class {value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and not safe_url(value or ""):
                self.problems.append(f"url {value!r}")
            if name == "rel" and (tag != "a" or value != "noopener noreferrer nofollow"):
                self.problems.append(f"rel {value!r} on <{tag}>")


def safe_url(value: str) -> bool:
    """The scheme a browser would see (WHATWG URL parsing) in an attribute value the parser has
    already decoded once: tabs and newlines removed anywhere, control characters and spaces
    trimmed at both ends. A space left inside ("java    script:") makes the URL relative."""
    url = TAB_OR_NEWLINE_RE.sub("", value).strip("".join(map(chr, range(0x21)))).lower()
    scheme = urlsplit(url).scheme if re.match(r"^[a-z][a-z0-9+.\-]*:", url) else ""
    return scheme == "" or scheme in ALLOWED_URL_SCHEMES


def problems(markup: str) -> list[str]:
    audit = OutputAudit()
    audit.feed(markup)
    audit.close()
    # Belt and braces over the parser: these may appear only as escaped text.
    raw = [
        f"raw {needle}"
        for needle in ("<script", "<iframe", "<svg", "<object", "<embed", "<style", "<math", "<form", "<meta", "<base")
        if needle in markup.lower()
    ]
    return audit.problems + raw


def test_the_audit_itself_catches_what_it_should():
    assert problems('<a href="java&#x09;script:alert(1)">x</a>')
    assert problems('<a href=" &#x01;JAVA\nSCRIPT:alert(1)">x</a>')
    assert not problems('<a href="java    script:alert(1)">x</a>')  # relative: a space is no scheme character
    assert problems("<img src=x onerror=alert(1)>")
    assert problems('<p style="x">x</p>')
    assert problems("<svg></svg>")
    assert not problems('<a href="https://ok.example" rel="noopener noreferrer nofollow">x</a><img src="/media/a.png" alt="">')


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_rendering(payload):
    rendered = render_markdown(payload)
    assert problems(rendered) == [], rendered


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_bad_scheme_never_becomes_a_link_or_image(scheme):
    for markdown in (f"[x]({scheme})", f"![x]({scheme})", f"<{scheme}>", f"[x][r]\n\n[r]: {scheme}"):
        rendered = render_markdown(markdown)
        hrefs = re.findall(r'(?:href|src)="([^"]*)"', rendered)
        assert all(safe_url(href) for href in hrefs), rendered


def test_external_links_get_a_safe_rel_and_keep_their_address():
    rendered = render_markdown('[站点](https://example.com/a?b=1&c=2) <a href="https://e.example" rel="opener" target="_blank">x</a> <https://auto.example>')
    assert rendered.count('rel="noopener noreferrer nofollow"') == 3
    assert 'href="https://example.com/a?b=1&amp;c=2"' in rendered
    assert "target" not in rendered and 'rel="opener"' not in rendered


def test_safe_markup_keeps_working():
    rendered = render_markdown("[a](https://ok.example) ![b](https://ok.example/b.png) [c](mailto:x@example.com) [d](/local#frag)")
    assert 'href="https://ok.example"' in rendered and 'src="https://ok.example/b.png"' in rendered
    assert 'href="mailto:x@example.com"' in rendered and 'href="/local#frag"' in rendered


DANGEROUS_PIECES = [
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=",
    "javascript:",
    "JaVa\tScRiPt:",
    "&#106;",
    "&#x6A;",
    "data:text/html,",
    "vbscript:",
    "<svg onload=alert(1)>",
    "<iframe srcdoc=",
    "style=",
    "onclick=",
    '"',
    "'",
    "`",
    "<",
    ">",
    "[x](",
    ")",
    "![y](",
    "<!--",
    "-->",
    "\n\n",
    "\n",
    "> ",
    "- ",
    "    ",
    "|",
    "*",
    "_",
    "\x00",
    "&",
    ";",
    "=",
    '<div markdown="1">',
    "</div>",
    "[r]: ",
    "<math>",
    "<style>",
    "formaction=",
    "xlink:href=",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(DANGEROUS_PIECES) | st.text(max_size=8), max_size=40).map("".join))
def test_fragments_of_dangerous_pieces_never_survive(text):
    assert problems(render_markdown(text)) == []


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_text_renders_without_raising_and_safely(text):
    assert problems(render_markdown(text)) == []


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_input_renders_safely(name):
    assert problems(render_markdown(PATHOLOGICAL[name])) == []


def test_text_too_complex_to_parse_keeps_every_word_as_plain_paragraphs():
    rendered = render_markdown("开头。\n\n" + "[a" * 5000 + "\n\n结尾 <script>x</script>")
    assert "开头。" in rendered and "结尾" in rendered and "<script" not in rendered
