"""Raw HTML blocks end where CommonMark ends them, so the Markdown after one still renders."""

import pytest

from articles.markdown import render_markdown
from bench.hostile_inputs import UNCLOSED_DIVS

PLACEHOLDER = '<div class="media-placeholder media-image">图片缺失：{}</div>'


def test_markdown_after_an_unclosed_body_tag_renders():
    html = render_markdown('<body class="x">\n\n## 标题\n\n段落 **粗**\n')
    assert '<h2 id="h-标题">标题</h2>' in html
    assert "<strong>粗</strong>" in html
    assert "##" not in html


def test_a_blank_line_ends_an_unclosed_div():
    html = render_markdown("<div>\n\n## 标题\n\n段落\n")
    assert '<h2 id="h-标题">标题</h2>' in html
    assert "<p>段落</p>" in html


def test_a_style_block_runs_to_its_end_tag_across_blank_lines():
    html = render_markdown("<style>\np { color: red }\n\n## 样式里的行\n</style>\n\n## 标题\n")
    assert "样式里的行" not in html
    assert '<h2 id="h-标题">标题</h2>' in html


def test_a_comment_runs_to_its_end_across_blank_lines():
    html = render_markdown("<!-- 草稿\n\n## 注释里的标题\n\n-->\n\n## 标题\n")
    assert "注释里的标题" not in html
    assert '<h2 id="h-标题">标题</h2>' in html


def test_a_comment_opener_without_an_end_stays_text():
    html = render_markdown("<!-- 没有结尾\n\n## 标题\n")
    assert "&lt;!-- 没有结尾" in html
    assert '<h2 id="h-标题">标题</h2>' in html


def test_html_inside_fenced_code_stays_code():
    html = render_markdown("```html\n<div>\n\n## 代码里的行\n```\n\n## 标题\n")
    assert "&lt;div&gt;\n\n## 代码里的行" in html
    assert 'id="h-代码里的行"' not in html
    assert '<h2 id="h-标题">标题</h2>' in html


def test_html_inside_an_indented_code_block_stays_code():
    html = render_markdown("段落\n\n    <div>\n\n    ## 代码里的行\n\n## 标题\n")
    assert "<pre><code>&lt;div&gt;\n\n## 代码里的行\n</code></pre>" in html
    assert '<h2 id="h-标题">标题</h2>' in html


def test_a_markdown_attribute_block_still_parses_its_content_across_blank_lines():
    html = render_markdown('<div markdown="1">\n## 内\n\n*斜*\n\n</div>\n\n## 外\n')
    inner, em, outer = html.index('id="h-内"'), html.index("<em>斜</em>"), html.index('id="h-外"')
    assert html.index("<div>") < inner < em < html.index("</div>") < outer


def test_media_placeholders_stay_one_block_each():
    body = f"{PLACEHOLDER.format('a.png')}\n\n{PLACEHOLDER.format('b.png')}\n\n正文 **粗**\n"
    blocks = [line for line in render_markdown(body).split("\n") if line]
    assert blocks == [PLACEHOLDER.format("a.png"), PLACEHOLDER.format("b.png"), "<p>正文 <strong>粗</strong></p>"]


def test_markdown_on_the_line_after_a_closed_block_still_renders():
    # CommonMark would keep "## 标题" inside the HTML block; Python-Markdown never did.
    html = render_markdown(f"{PLACEHOLDER.format('a.png')}\n## 标题\n")
    assert html == f'{PLACEHOLDER.format("a.png")}\n<h2 id="h-标题">标题</h2>'


def test_details_can_hold_markdown_between_its_tags():
    html = render_markdown("<details>\n<summary>摘要</summary>\n\n内容 **粗**\n\n</details>\n\n## 标题\n")
    assert html.index("<summary>摘要</summary>") < html.index("<p>内容 <strong>粗</strong></p>") < html.index("</details>")
    assert "<p></p>" not in html
    assert '<h2 id="h-标题">标题</h2>' in html


def test_a_line_with_only_an_image_tag_keeps_its_paragraph():
    # CommonMark's type 7 would make it a raw block of its own; it stays as it rendered before.
    assert render_markdown('<img src="/media/a.png" alt="图">\n\n段落\n') == '<p><img src="/media/a.png" alt="图"></p>\n<p>段落</p>'


def test_an_html_block_ends_at_its_blank_line_not_before():
    html = render_markdown("<div>\n*不是强调*\n</div>\n\n*强调*\n")
    assert "*不是强调*" in html
    assert "<p><em>强调</em></p>" in html


@pytest.mark.parametrize("name", UNCLOSED_DIVS)
def test_unclosed_divs_keep_their_text(name):
    html = render_markdown(UNCLOSED_DIVS[name])
    assert html.count("词") == UNCLOSED_DIVS[name].count("词")
    assert "开头" in html and "结尾" in html
