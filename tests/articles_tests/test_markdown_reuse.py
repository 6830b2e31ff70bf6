"""Rendering reuses one Markdown instance per thread and can run ahead in worker processes;
neither may change a single character of what render_markdown returns."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import markdown

from articles.markdown import MARKDOWN_EXTENSION_CONFIGS, MARKDOWN_EXTENSIONS, html_to_text, render_markdown, renderers, sanitize_html
from articles.render_ahead import RenderAhead
from articles.segmenting import index_text

# Each of these leaves state in a Markdown instance until it is reset: footnotes, abbreviations,
# link references, heading ids already used.
STATEFUL = "正文[^1]\n\n[^1]: 脚注\n\n*[API]: 应用程序接口\n\n[资料]: https://example.com/a\n\n# 标题\n\n## 标题\n"
AFTER = 'API 与 [资料] 与 [^1]\n\n# 标题\n\n!!! tip "提示"\n    小心\n'


def rendered_by_a_fresh_instance(text):
    return sanitize_html(markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_EXTENSION_CONFIGS, output_format="html"))


def test_a_document_leaves_nothing_behind_for_the_next():
    assert render_markdown(STATEFUL) == rendered_by_a_fresh_instance(STATEFUL)
    after = render_markdown(AFTER)
    assert after == rendered_by_a_fresh_instance(AFTER)
    assert "<abbr" not in after and "example.com" not in after and 'id="h-标题_1"' not in after


def test_a_conversion_that_fails_halfway_is_not_reused(monkeypatch):
    render_markdown("预热")
    failed = renderers.markdown

    def overflow(text):
        raise RecursionError

    monkeypatch.setattr(failed, "convert", overflow)
    assert render_markdown("深") == "<p>深</p>"
    assert renderers.markdown is None
    assert render_markdown(AFTER) == rendered_by_a_fresh_instance(AFTER)


def test_html_rendered_ahead_in_worker_processes_is_the_same():
    texts = [STATEFUL, AFTER, "<script>alert(1)</script>\n\n[x](javascript:alert(1))", "段落一\n\n段落二"]
    expected = [render_markdown(text) for text in texts]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        ahead = RenderAhead(executor, texts)
        with ahead.in_use():
            assert [render_markdown(text) for text in texts] == expected
            assert render_markdown("不在其中的文本") == "<p>不在其中的文本</p>"


def test_search_documents_indexed_ahead_are_what_index_text_gives_here():
    texts = ["段落一\n\n段落二，Sora 视频生成", "<b>粗体</b> 与 **强调**"]
    expected = [index_text(html_to_text(render_markdown(text))) for text in texts]
    elsewhere = index_text("不在其中的文本")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        ahead = RenderAhead(executor, texts)
        rendered, indexed = ahead.collected()
        assert sorted(indexed.values()) == sorted(expected)
        with ahead.in_use():
            assert [index_text(html_to_text(render_markdown(text))) for text in texts] == expected
            assert index_text("不在其中的文本") == elsewhere
