"""A comment's Markdown to sanitized HTML: a much smaller subset than an article's (paragraphs,
emphasis, code, quotes, lists and links), no images, no headings, no raw HTML. Links carry
rel="nofollow ugc" so that comments earn spammers nothing. Pure: text in, text out."""

import html

import markdown
import nh3

from articles.markdown import BRACKET_RUN_RE, MAX_BRACKET_RUN, NESTED_CONTAINER_RE, cap_indentation, split_blocks

ALLOWED_TAGS = {"a", "blockquote", "br", "code", "del", "em", "li", "ol", "p", "pre", "strong", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc"


def render_comment(text: str) -> str:
    """Markdown source of a comment to HTML safe to insert into a page."""
    text = BRACKET_RUN_RE.sub(lambda match: match.group(0)[:MAX_BRACKET_RUN], text)
    text = NESTED_CONTAINER_RE.sub(lambda match: match.group(1), text)
    text = cap_indentation(text)
    try:
        # A fresh instance each time: comments are short and rendered once, on save.
        raw_html = markdown.markdown(text, extensions=["sane_lists", "fenced_code"], output_format="html")
    except RecursionError:
        raw_html = "".join(f"<p>{html.escape(block)}</p>" for block in split_blocks(text))
    return sanitize_comment_html(raw_html)


def sanitize_comment_html(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
