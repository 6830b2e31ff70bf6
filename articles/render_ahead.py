"""A large import's rendering, done ahead in worker processes.

Writing an article renders its Markdown (markdown.render_markdown) and segments its text for
search (segmenting.index_text): most of an import's work, and the one process that writes to the
database would otherwise do it all. RenderAhead has worker processes run those very functions on
texts the writer will soon need, and while in use, both answer those texts with the workers'
results. Nothing changes what is rendered or indexed: any other text is done in place as usual.
"""

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from articles import markdown, segmenting

logger = logging.getLogger(__name__)


def render_and_index(text: str) -> tuple[str, str, str]:
    """In a worker: the text's HTML, that HTML's visible text, and the search document of that text,
    as Article.render() derives them."""
    html = markdown.render_markdown(text)
    visible = markdown.html_to_text(html)
    return html, visible, segmenting.index_text(visible)


class RenderAhead:
    def __init__(self, executor: Executor, texts: Iterable[str]):
        self.texts = list(dict.fromkeys(texts))
        self.results = executor.map(render_and_index, self.texts, chunksize=max(len(self.texts), 1))

    @contextmanager
    def in_use(self) -> Iterator[None]:
        rendered, indexed = self.collected()
        with markdown.answers(rendered), segmenting.answers(indexed):
            yield

    def collected(self) -> tuple[dict[str, str], dict[str, str]]:
        try:
            results = list(zip(self.texts, self.results, strict=True))
        except Exception:
            # A worker failed or died: do the work here instead, which raises again if a text is the cause.
            logger.warning("Rendering ahead failed; rendering in this process instead", exc_info=True)
            return {}, {}
        rendered = {text: html for text, (html, _, _) in results}
        indexed = {visible: document for _, (_, visible, document) in results}
        return rendered, indexed
