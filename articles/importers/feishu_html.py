"""A Feishu (飞书) document saved as HTML (in a .md file), turned into Markdown like Feishu's own export.

    <html><head><style>…</style></head><body>
    <h1>AI产品丨01 Sora深度解析</h1>
    <blockquote>来源：<a href="https://xxx.feishu.cn/docx/…">…</a></blockquote>
    <p>…</p>
    <img src="img/17f5….png" data-original-src="https://internal-api-drive-stream.feishu.cn/…">
    <ul><li>…</li></ul>  <table>…</table>  <pre><code class="language-python">…</code></pre>

The first <h1> leads the Markdown, so it titles the document; the 来源 quote stays right under it,
where the Markdown export has it. Images keep their local path, and the data-original-src of each
is remembered, so the original stands in when the image file is not uploaded. Videos become the
export's "name.mp4【在线播放】" line. Nothing of <head>, scripts or styles reaches the text.

BeautifulSoup (with the standard library's html.parser) reads the HTML, markdownify writes the
Markdown; what they would write differently from what Python-Markdown reads is overridden here.
"""

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, CData, Comment, Declaration, Doctype, ProcessingInstruction
from markdownify import ATX, MarkdownConverter

from articles.importers.links import URL_RE
from articles.importers.markdown_source import collapse_spaces

VIDEO_MARKER = "【在线播放】"

HTML_START_RE = re.compile(r"^\ufeff?\s*<[A-Za-z!?]")
# The browser tab's title names the app after the document: "周报 - 飞书云文档".
PAGE_TITLE_SUFFIX_RE = re.compile(r"\s+[-–—|]\s+(?:飞书云文档|飞书文档|Feishu Docs|Lark Docs)\s*$", re.IGNORECASE)
BLOCK_TAGS = frozenset("html body article section main header footer div p h1 h2 h3 h4 h5 h6 blockquote ul ol li table pre figure hr dl".split())
HIDDEN_TAGS = frozenset("head title meta link script style noscript template".split())
NOT_TEXT = (Comment, Doctype, Declaration, CData, ProcessingInstruction)
CODE_TAGS = frozenset(("pre", "code"))
# Text outside every block element: Markdown with some inline HTML is mostly that, an HTML
# document hardly any (a stray line between blocks).
MAX_LOOSE_TEXT_SHARE = 0.1
# Markdown inside a <div>: blocks a blank line apart in one stretch of text, headings and images
# among them. An HTML paragraph that starts with "# " is just text.
MARKDOWN_BLOCKS_RE = re.compile(r"\n[ \t]*\n")
MARKDOWN_SYNTAX_RE = re.compile(r"(?m)^[ ]{0,3}#{1,6}[ \t]|!\[[^\[\]\n]*\]\([^()\n]*\)")

# Python-Markdown reads a backslash before these as the character itself (tables add "|").
INLINE_MARKUP_RE = re.compile(r"([\\`*_\[\]|])")
TAG_LIKE_RE = re.compile(r"<(?=[A-Za-z/!?])")
# Browsers read "&#0" and "&copy" as characters even without the ";": escape every "&" that could start one.
ENTITY_LIKE_RE = re.compile(r"&(?=#|[A-Za-z])")
# What opens a block at the start of a line: a heading, quote, list item, rule or setext line.
LINE_START_MARKUP_RE = re.compile(r"(^|\n)([#>+\-])")
LINE_START_NUMBER_RE = re.compile(r"(^|\n)([0-9]{1,9})\.(?=[ \t]|$)")
# "=" and "~" have no backslash escape in Python-Markdown; their character references do.
LINE_START_UNESCAPABLE_RE = re.compile(r"(^|\n)([=~])")
URL_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
BACKTICK_RUN_RE = re.compile(r"`+")
LANGUAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+#._-]{0,30}$")


@dataclass(frozen=True)
class HtmlExport:
    markdown: str
    image_sources: dict[str, str] = field(default_factory=dict)  # local path → original URL


def is_html_document(text: str) -> bool:
    """Whether the text is an HTML document rather than Markdown with some HTML in it."""
    return read_html_document(text) is not None


def starts_as_html(text: str) -> bool:
    """A cheap first look: an HTML document opens with a tag, a doctype or a comment."""
    return HTML_START_RE.match(text) is not None


def read_html_document(text: str) -> BeautifulSoup | None:
    """The parsed document when the text is one, for html_to_markdown; else None."""
    if not starts_as_html(text):
        return None
    soup = BeautifulSoup(text.removeprefix("\ufeff"), "html.parser")
    if soup.find(BLOCK_TAGS) is None:
        return None
    loose = enclosed = 0
    for string in soup.find_all(string=True):
        words = string.strip()
        if not words or isinstance(string, NOT_TEXT):
            continue
        enclosing = {parent.name for parent in string.parents}
        if enclosing & HIDDEN_TAGS:
            continue
        if MARKDOWN_BLOCKS_RE.search(string) and MARKDOWN_SYNTAX_RE.search(string) and not enclosing & CODE_TAGS:
            return None
        if enclosing & BLOCK_TAGS:
            enclosed += len(words)
        else:
            loose += len(words)
    return soup if loose <= MAX_LOOSE_TEXT_SHARE * (loose + enclosed) else None


def html_to_markdown(document: str | BeautifulSoup) -> HtmlExport:
    """The document as Markdown. It changes a BeautifulSoup it is given."""
    soup = document if isinstance(document, BeautifulSoup) else BeautifulSoup(document.removeprefix("\ufeff"), "html.parser")
    page_title = PAGE_TITLE_SUFFIX_RE.sub("", soup.title.get_text(" ", strip=True)) if soup.title else ""
    for element in soup.find_all(HIDDEN_TAGS):
        element.decompose()
    for string in soup.find_all(string=lambda string: isinstance(string, NOT_TEXT)):
        string.extract()
    root = soup.body or soup
    title = next((heading for heading in root.find_all("h1") if heading.get_text(strip=True)), None)
    if title is None and page_title:
        title = soup.new_tag("h1")
        title.string = page_title
    if title is not None:
        root.insert(0, title.extract())
    converter = FeishuMarkdownConverter()
    markdown = converter.convert_soup(root).strip("\n")
    return HtmlExport(markdown=markdown, image_sources=converter.image_sources)


class FeishuMarkdownConverter(MarkdownConverter):
    """markdownify's converter, writing what Python-Markdown (the site's renderer) reads back."""

    def __init__(self):
        super().__init__(heading_style=ATX, table_infer_header=True)
        self.image_sources: dict[str, str] = {}

    def escape(self, text: str, parent_tags) -> str:
        """Text as Markdown that shows it as written. URLs stay as they are: the importer links
        them, and a backslash would end the link there."""
        pieces = []
        position = 0
        for url in URL_RE.finditer(text):
            pieces.append(escape_text(text[position : url.start()]))
            pieces.append(url.group(0))
            position = url.end()
        pieces.append(escape_text(text[position:]))
        return "".join(pieces)

    def convert_img(self, el, text, parent_tags) -> str:
        # Images stay images also in headings and table cells, where markdownify keeps the alt text only.
        src = (el.get("src") or "").strip()
        original = (el.get("data-original-src") or "").strip()
        if urlsplit(original).scheme not in ("http", "https"):
            original = ""
        if original and (not src or src.startswith("data:")):
            src = original
        if not src:
            return ""
        if original and is_local(src):
            self.image_sources[posixpath.normpath(src.replace("\\", "/"))] = original
        alt = collapse_spaces(INLINE_MARKUP_RE.sub("", el.get("alt") or ""))
        target = f"<{src}>" if re.search(r"[\s()<>]", src) else src
        return f"![{alt}]({target})"

    def convert_li(self, el, text, parent_tags) -> str:
        # Python-Markdown nests a list, or continues an item, only when indented by four spaces.
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = str(parent.get("start", ""))
            number = (int(start) if start.isdigit() else 1) + len(el.find_previous_siblings("li"))
            marker = f"{number}. "
        else:
            marker = "- "
        first, *rest = text.split("\n")
        return marker + first + "".join("\n" + (f"    {line}" if line else "") for line in rest) + "\n"

    def convert_pre(self, el, text, parent_tags) -> str:
        # A fence longer than any run of backticks in the code, so the code cannot close it.
        code = text.strip("\n").rstrip()
        if not code:
            return ""
        fence = "`" * max(3, 1 + max((len(run) for run in BACKTICK_RUN_RE.findall(code)), default=0))
        return f"\n\n{fence}{code_language(el)}\n{code}\n{fence}\n\n"

    def convert_video(self, el, text, parent_tags) -> str:
        source = el.find("source")
        src = el.get("src") or el.get("data-original-src") or (source.get("src") if source else "") or ""
        name = posixpath.basename(urlsplit(src).path) or collapse_spaces(el.get("title") or "") or "视频"
        return f"\n\n{name}{VIDEO_MARKER}\n\n"


def escape_text(text: str) -> str:
    text = INLINE_MARKUP_RE.sub(r"\\\1", text)
    text = TAG_LIKE_RE.sub("&lt;", ENTITY_LIKE_RE.sub("&amp;", text))
    text = LINE_START_MARKUP_RE.sub(r"\1\\\2", text)
    text = LINE_START_NUMBER_RE.sub(r"\1\2\\.", text)
    return LINE_START_UNESCAPABLE_RE.sub(lambda match: f"{match.group(1)}&#{ord(match.group(2))};", text)


def code_language(pre) -> str:
    """The language Feishu names on a code block: class="language-python" on <pre> or <code>."""
    for element in (pre, pre.find("code")):
        if element is None:
            continue
        for name in element.get("class") or []:
            if name.startswith(("language-", "lang-")):
                return language_name(name.split("-", 1)[1])
        if element.get("data-lang"):
            return language_name(str(element["data-lang"]))
    return ""


def language_name(text: str) -> str:
    """A name that can follow a fence: "c++", "objective-c"; anything else is not a language."""
    text = text.strip().lower()
    return text if LANGUAGE_RE.match(text) else ""


def is_local(src: str) -> bool:
    return not (URL_SCHEME_RE.match(src) or src.startswith(("/", "#", "\\")))
