"""A bound on the sanitizer's work with unclosed raw HTML.

The sanitizer's HTML parser (html5ever, inside nh3) walks its stack of open elements for each
block-level tag, so `"<div>" * 100000` took 25 s. `limit_open_elements` refuses HTML that would
hold more than MAX_OPEN_ELEMENTS open at once, before it reaches nh3; render_markdown then shows
the text as plain paragraphs. It follows the HTML standard's rules for which tags close which
elements, counting on the high side when unsure.
"""

import re

from articles.markdown_budget import MarkdownTooComplex

# Rendered articles nest a few dozen elements deep: twelve levels of quotes and lists
# (markdown.MAX_NESTING) and the raw HTML inside them. html5ever's work is about the number of
# tags times this depth.
MAX_OPEN_ELEMENTS = 256
HTML_TAG_RE = re.compile(r"<(/?)([A-Za-z][^\t\n\r\f />]*)")
# The rest of a start tag, attributes read as the HTML tokenizer reads them: the attributes, then
# "/" if the tag closes itself. A tag longer than MAX_TAG_LENGTH is taken as left open.
START_TAG_REST_RE = re.compile(
    r"""((?:[\t\n\f\r ]+|/(?!>)|[^\t\n\f\r />][^\t\n\f\r /=>]*"""
    r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]+))?)*+)(/?)>"""
)
ATTRIBUTE_RE = re.compile(r"""([^\t\n\f\r />][^\t\n\f\r /=>]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*("[^"]*"|'[^']*'|[^\t\n\f\r >]+))?""")
MAX_TAG_LENGTH = 2000


def element_names(names: str) -> frozenset[str]:
    return frozenset(names.split())


VOID_ELEMENTS = element_names("area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr")
# Never on the stack for long: outside a table the parser drops its parts, inside one each new
# part clears the last away (the table itself is counted); a fragment's html, head, body and
# frameset tags only ever merge into the elements that are already there.
NOT_STACKED = element_names("caption colgroup tbody tfoot thead tr td th html head body frameset")
# HTML's "special" elements: an end tag of another kind of element never closes past one.
SPECIAL_ELEMENTS = element_names(
    "address applet area article aside base basefont bgsound blockquote body br button caption "
    "center col colgroup dd details dir div dl dt embed fieldset figcaption figure footer form "
    "frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li link "
    "listing main marquee menu meta nav noembed noframes noscript object ol p param plaintext pre "
    "script search section select source style summary table tbody td template textarea tfoot th "
    "thead title tr track ul wbr xmp"
)
# Their SVG and MathML counterparts: named alike, HTML elements of these names are not special.
FOREIGN_SPECIAL_ELEMENTS = element_names("mi mo mn ms mtext annotation-xml foreignobject desc title")
# An end tag of a special element does not close past these (HTML's "in scope"), nor past a
# <select>, inside which the parser ignores end tags of other elements.
SCOPE_BOUNDARIES = element_names("applet caption html table td th marquee object template select mi mo mn ms mtext annotation-xml foreignobject desc title")
SCOPES = {"p": SCOPE_BOUNDARIES | {"button"}, "li": SCOPE_BOUNDARIES | {"ol", "ul"}}
HEADINGS = element_names("h1 h2 h3 h4 h5 h6")
# The start tags that close an open <p> first, unless a button lies between.
CLOSES_P = element_names(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure "
    "footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre "
    "listing form li dd dt plaintext table xmp"
)
# End tags the parser lets authors leave out: it closes one of these on top of the stack when the
# next one starts.
CLOSED_BY_NEXT = {
    "li": {"li"},
    "dd": {"dd", "dt"},
    "dt": {"dd", "dt"},
    "option": {"option"},
    "optgroup": {"option"},
    **{heading: HEADINGS for heading in HEADINGS},
}
# Closed by another element's end tag, these open again at the next text.
FORMATTING_ELEMENTS = element_names("a b big code em font i nobr s small strike strong tt u")
# Text up to their end tag, tags included (nh3 parses with scripting on, so <noscript> too).
RAW_TEXT_ENDS = {name: re.compile(f"</{name}", re.IGNORECASE) for name in "script style textarea title xmp iframe noembed noframes noscript".split()}
# SVG and MathML: these start tags leave them for HTML, as <font> does with one of these attributes.
LEAVES_FOREIGN_CONTENT = element_names(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img "
    "li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var"
)
FONT_ATTRIBUTES_LEAVING = element_names("color face size")
FOREIGN_ROOTS = element_names("svg math")
# SVG and MathML elements whose content is HTML again (MathML's for start tags but these two).
SVG_HTML_POINTS = element_names("foreignobject desc title")
MATHML_TEXT_POINTS = element_names("mi mo mn ms mtext")
MATHML_ONLY_INSIDE_TEXT = element_names("mglyph malignmark")
# How far down the stack a tag looks for the element it closes; one deeper is taken as closing
# nothing, which can only overcount.
REACH = 32


def limit_open_elements(html: str) -> None:
    """Raise MarkdownTooComplex if parsing `html` would hold more than MAX_OPEN_ELEMENTS open."""
    if html.count("<") <= MAX_OPEN_ELEMENTS:
        return
    stack = OpenElements()
    position = 0
    while (tag := HTML_TAG_RE.search(html, position)) is not None:
        position = tag.end()
        name = tag.group(2).lower()
        if tag.group(1):
            stack.end(name)
        elif name in FOREIGN_ROOTS or stack.reads_as_foreign(name):
            stack.start_foreign(name, *read_start_tag_rest(html, position))
        elif name in RAW_TEXT_ENDS:
            end_tag = RAW_TEXT_ENDS[name].search(html, position)
            # Unclosed, the rest is text to the parser; counting its tags can only overcount.
            if end_tag is not None:
                position = end_tag.start()
        else:
            stack.start(name)


def read_start_tag_rest(html: str, position: int) -> tuple[dict[str, str], bool]:
    """The attributes of the start tag whose name ends at `position`, and whether it ends "/>"."""
    rest = START_TAG_REST_RE.match(html, position, position + MAX_TAG_LENGTH)
    if rest is None:
        return {}, False
    attributes = {attribute.group(1).lower(): (attribute.group(2) or "").strip("\"'") for attribute in ATTRIBUTE_RE.finditer(rest.group(1))}
    return attributes, bool(rest.group(2))


class OpenElements:
    """A sketch of the HTML parser's stack of open elements, after the HTML standard's tree
    construction, that never holds fewer elements than the parser's (NOT_STACKED aside): a tag
    closes only what the parser would close with it, and whatever the sketch does not follow
    stays open."""

    def __init__(self) -> None:
        self.names: list[str] = []
        # "svg" or "math" for an SVG or MathML element, "" for HTML.
        self.namespaces: list[str] = []
        # Whether each SVG or MathML element holds HTML (an "HTML integration point").
        self.holds_html: list[bool] = []

    def reads_as_foreign(self, name: str) -> bool:
        """Whether a start tag `name` here makes an SVG or MathML element, or leaves them."""
        if not self.names or not self.namespaces[-1]:
            return False
        if self.namespaces[-1] == "math" and self.names[-1] in MATHML_TEXT_POINTS:
            return name in MATHML_ONLY_INSIDE_TEXT
        if self.namespaces[-1] == "math" and self.names[-1] == "annotation-xml" and name == "svg":
            return False
        return not self.holds_html[-1]

    def start_foreign(self, name: str, attributes: dict[str, str], self_closing: bool) -> None:
        if not self.reads_as_foreign(name):
            namespace = name
        elif name in LEAVES_FOREIGN_CONTENT or (name == "font" and not FONT_ATTRIBUTES_LEAVING.isdisjoint(attributes)):
            self.leave_foreign_content()
            self.start(name)
            return
        else:
            namespace = self.namespaces[-1]
        holds_html = (namespace == "svg" and name in SVG_HTML_POINTS) or (
            namespace == "math" and name == "annotation-xml" and attributes.get("encoding", "").lower() in ("text/html", "application/xhtml+xml")
        )
        if not self_closing:
            self.push(name, namespace, holds_html=holds_html)

    def leave_foreign_content(self) -> None:
        while self.names and self.namespaces[-1] and not self.holds_html[-1] and not (self.namespaces[-1] == "math" and self.names[-1] in MATHML_TEXT_POINTS):
            self.truncate(len(self.names) - 1)

    def start(self, name: str) -> None:
        if name in VOID_ELEMENTS or name in NOT_STACKED:
            return
        if name in CLOSES_P:
            self.close(("p",), SCOPES["p"])
        if self.names and not self.namespaces[-1] and self.names[-1] in CLOSED_BY_NEXT.get(name, ()):
            self.truncate(len(self.names) - 1)
        self.push(name, "", holds_html=False)

    def end(self, name: str) -> None:
        if self.names and self.namespaces[-1]:
            if name in ("br", "p"):
                self.leave_foreign_content()
            elif not self.end_foreign(name):
                return
        if name in VOID_ELEMENTS or name in NOT_STACKED:
            return
        if name == "form":
            # The parser takes the form element out of the stack and leaves what is above it.
            position = self.find(("form",), SCOPE_BOUNDARIES)
            if position is not None:
                del self.names[position], self.namespaces[position], self.holds_html[position]
        elif name == "select":
            # Only options may be above it ("select scope").
            position = len(self.names)
            while position and self.names[position - 1] in ("option", "optgroup"):
                position -= 1
            if position and self.names[position - 1] == "select" and not self.namespaces[position - 1]:
                self.truncate(position - 1)
        elif name in HEADINGS:
            self.close(HEADINGS, SCOPE_BOUNDARIES)
        elif name in SPECIAL_ELEMENTS:
            self.close((name,), SCOPES.get(name, SCOPE_BOUNDARIES))
        else:
            self.close((name,), SPECIAL_ELEMENTS | FOREIGN_SPECIAL_ELEMENTS)

    def end_foreign(self, name: str) -> bool:
        """An end tag on an SVG or MathML element: it closes by name alone, down to the first HTML
        element, which hands the tag to the HTML rules (True)."""
        if name not in self.names[-REACH:]:
            return len(self.names) <= REACH or "" in self.namespaces[-REACH:]
        for position in self.reachable():
            if self.names[position] == name:
                self.truncate(position)
                return False
            if position == 0 or not self.namespaces[position - 1]:
                return True
        return False

    def push(self, name: str, namespace: str, *, holds_html: bool) -> None:
        self.names.append(name)
        self.namespaces.append(namespace)
        self.holds_html.append(holds_html)
        if len(self.names) > MAX_OPEN_ELEMENTS:
            raise MarkdownTooComplex

    def truncate(self, position: int) -> None:
        del self.names[position:], self.namespaces[position:], self.holds_html[position:]

    def reachable(self) -> range:
        return range(len(self.names) - 1, max(len(self.names) - 1 - REACH, -1), -1)

    def find(self, names: tuple[str, ...] | frozenset[str], stop_at: frozenset[str]) -> int | None:
        """Position of the nearest HTML element an end tag of `names` would close, if any."""
        tail = self.names[-REACH:]
        if all(name not in tail for name in names):
            return None
        for position in self.reachable():
            if self.names[position] in names and not self.namespaces[position]:
                return position
            if self.names[position] in stop_at:
                return None
        return None

    def close(self, names: tuple[str, ...] | frozenset[str], stop_at: frozenset[str]) -> None:
        position = self.find(names, stop_at)
        if position is not None:
            # Formatting elements closed on the way open again at the next text.
            reopened = [
                above
                for above, namespace in zip(self.names[position + 1 :], self.namespaces[position + 1 :], strict=True)
                if above in FORMATTING_ELEMENTS and not namespace
            ]
            self.truncate(position)
            for above in reopened:
                self.push(above, "", holds_html=False)
