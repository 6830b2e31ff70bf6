"""The renderer and the preview cut are pure: no database."""

import pytest

from articles.markdown import count_words, cut_preview, html_to_text, reading_minutes, render_markdown, split_blocks, strip_cut_marker


def test_markdown_renders_headings_lists_tables_and_callouts():
    html = render_markdown('# 标题\n\n- 一\n- 二\n\n|a|b|\n|-|-|\n|1|2|\n\n!!! tip "专家提醒"\n    小心\n')
    assert '<h1 id="h-标题">标题</h1>' in html
    assert "<li>一</li>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<div class="admonition tip">' in html and "专家提醒" in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java&#115;cript:alert(1))",
        '<a href="&#106;avascript:alert(1)">x</a>',
        "![x](data:text/html;base64,PHNjcmlwdD4=)",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<iframe src=https://example.com></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<a href="vbscript:msgbox(1)">x</a>',
        "<p onclick=alert(1)>x</p>",
    ],
)
def test_hostile_markup_never_survives(payload):
    html = render_markdown(payload).lower()
    for needle in ["<script", "javascript:", "vbscript:", "data:text", "onerror", "onload", "onclick", "<iframe", "<svg", "style="]:
        assert needle not in html


def test_links_get_safe_rel():
    assert 'rel="noopener noreferrer nofollow"' in render_markdown("[站点](https://example.com)")


def test_explicit_marker_cuts_the_preview_and_disappears_from_the_body():
    body = "开头。\n\n<!-- more -->\n\n秘密。"
    cut = cut_preview(body)
    assert cut.explicit and cut.has_more
    assert cut.preview_markdown == "开头。"
    assert "more" not in render_markdown(strip_cut_marker(body))


def test_paywall_marker_is_accepted_too():
    assert cut_preview("甲\n\n<!--PAYWALL-->\n\n乙").preview_markdown == "甲"


def test_automatic_cut_ends_at_a_paragraph_boundary():
    paragraphs = [f"第{n}段" + "字" * 100 for n in range(10)]
    cut = cut_preview("\n\n".join(paragraphs))
    assert cut.has_more and not cut.explicit
    assert cut.preview_markdown == "\n\n".join(paragraphs[:2])


def test_automatic_cut_never_shows_most_of_a_short_article():
    paragraphs = ["短" * 40, "秘" * 40, "密" * 40]
    cut = cut_preview("\n\n".join(paragraphs))
    assert cut.preview_markdown == paragraphs[0]
    assert "秘" not in cut.preview_markdown


def test_a_single_long_paragraph_is_cut_at_a_sentence_end():
    body = "".join(f"第{n}句话说了一些内容。" for n in range(100))
    cut = cut_preview(body)
    assert cut.has_more
    assert cut.preview_markdown.endswith("。")
    assert len(cut.preview_markdown) < len(body) * 0.5


def test_fenced_code_with_blank_lines_stays_one_block():
    body = "介绍\n\n```\nline 1\n\nline 2\n```\n\n结尾"
    assert split_blocks(body) == ["介绍", "```\nline 1\n\nline 2\n```", "结尾"]


def test_words_count_cjk_characters_and_latin_words():
    assert count_words("Sora 是 OpenAI 的模型") == 4 + 2
    assert reading_minutes(0) == 1
    assert reading_minutes(401) == 2


def test_html_to_text_folds_whitespace_and_entities():
    assert html_to_text("<p>a &amp; b</p>\n<p>c</p>") == "a & b c"
