"""What a search result shows: its title and a snippet of its text, the terms marked, everything
else escaped. Pure but for `attach_snippets`, which asks members.access what the reader may read."""

import html

from django.utils.safestring import SafeString, mark_safe

from articles.markdown import excerpt, html_to_text
from articles.models import Article
from articles.segmenting import normalise
from members.access import can_read_in_full

SNIPPET_CHARS = 120
# A snippet is looked for in this much text at most, so that a huge article costs no more than a normal one.
SNIPPET_SCAN_CHARS = 50_000
MAX_MARKED_SPANS = 200
LATIN_CHAR = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def attach_snippets(user, articles, terms: list[str]) -> list[Article]:
    """Set `title_html`, `snippet` and `reads_in_full` on each result of search_articles. A snippet
    comes from the full text only where can_read_in_full agrees (and the search's own query
    loaded that text only where readable_filter holds); otherwise from the preview."""
    articles = list(articles)
    for article in articles:
        article.reads_in_full = can_read_in_full(user, article)
        text = html_to_text(article.full_html if article.reads_in_full else article.preview_html)
        article.title_html = highlight(article.title, terms)
        article.snippet = snippet(text, terms)
    return articles


def match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the terms occur in the text, as non-overlapping (start, end) positions, longest term first."""
    folded = normalise(text)
    if len(folded) == len(text):
        origin = None
    else:  # NFKC or case folding changed lengths (ligatures, ß): map back character by character
        pieces = [normalise(char) for char in text]
        folded = "".join(pieces)
        origin = [index for index, piece in enumerate(pieces) for _ in piece]
    taken = [False] * len(folded)
    spans = []
    for term in sorted(set(terms), key=len, reverse=True):
        latin = term[0] in LATIN_CHAR
        start = folded.find(term)
        while start != -1 and len(spans) < MAX_MARKED_SPANS:
            end = start + len(term)
            whole_word = not latin or ((start == 0 or folded[start - 1] not in LATIN_CHAR) and (end == len(folded) or folded[end] not in LATIN_CHAR))
            if whole_word and not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                spans.append((start, end) if origin is None else (origin[start], origin[end - 1] + 1))
            start = folded.find(term, start + 1)
    return sorted(spans)


def marked(text: str, spans: list[tuple[int, int]], offset: int = 0) -> str:
    pieces, position = [], offset
    for start, end in spans:
        pieces.append(html.escape(text[position:start]))
        pieces.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    pieces.append(html.escape(text[position:]))
    return "".join(pieces)


def highlight(text: str, terms: list[str]) -> SafeString:
    """The whole text, escaped, with the terms marked."""
    return mark_safe(marked(text, match_spans(text, terms)))


def snippet(text: str, terms: list[str], *, width: int = SNIPPET_CHARS) -> SafeString:
    """About `width` characters of the text around where the terms occur most, escaped, terms marked;
    the opening of the text when they do not occur in it (a match on the title or tags)."""
    text = text[:SNIPPET_SCAN_CHARS]
    spans = match_spans(text, terms)
    if not spans:
        return mark_safe(html.escape(excerpt(text, width)))
    best = max(range(len(spans)), key=lambda index: (sum(1 for start, end in spans[index:] if end <= spans[index][0] + width), -index))
    start = max(0, spans[best][0] - width // 4)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    inside = [(max(s, start), min(e, end)) for s, e in spans if s < end and e > start]
    body = marked(text[:end], inside, offset=start)
    return mark_safe(("…" if start > 0 else "") + body + ("…" if end < len(text) else ""))
