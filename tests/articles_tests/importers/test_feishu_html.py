import html
import re

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.importers import detect_format, parse_document
from articles.importers.feishu_html import html_to_markdown, is_html_document
from articles.markdown import html_to_text, render_markdown

from .helpers import document_text, missing_words, words

COVER = "img/17f549081777be767b95bb8f616a0f3c.png"
PRICES = "img/dcf3b532d2776aab5da1c3860a08e35f.png"
ICON = "img/0a1b2c3d4e5f60718293a4b5c6d7e8f9.png"
DRIVE = "https://internal-api-drive-stream.feishu.cn/space/api/box/stream/download/v2/cover/"

# A Feishu document saved as HTML, as a browser extension exports it: the page's own head,
# Feishu's wrappers and attributes, the H1 parts Feishu documents use, and every kind of block.
FEISHU_HTML_EXPORT = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>AI产品丨02 Sora 上手指南 - 飞书云文档</title>
<style>
body {{ font-family: "PingFang SC", sans-serif; }}
.callout {{ background: #fff5eb; border-radius: 8px; }}
</style>
<script>window.__FEISHU_EXPORT__ = {{"token": "Kq2Ld9e0QoJlSgx8"}};</script>
</head>
<body>
<div class="page-main" data-page-id="Kq2Ld9e0QoJlSgx8">
<h1 class="heading-h1">AI产品丨02 Sora 上手指南</h1>
<blockquote>来源：<a href="https://t16jzwqrzjx.feishu.cn/docx/Kq2Ld9e0QoJlSgx8oNjcvVYSabc">AI产品丨02 Sora 上手指南</a></blockquote>
<p><img src="{COVER}" data-original-src="{DRIVE}17f5490817"></p>
<p>出品时间：2024 年 3 月 20 日</p>
<h1 class="heading-h1">一、准备工作</h1>
<p>先准备三样东西：<span style="color: #d83931">账号</span>、<strong>提示词</strong>和一点<em>耐心</em>。</p>
<ul>
<li>一个 OpenAI 账号
<ul>
<li>需要 Plus 订阅</li>
<li>地区：美国</li>
</ul>
</li>
<li>提示词模板，见 https://openai.com/sora_guide 。</li>
</ul>
<ol start="3">
<li>打开官网</li>
<li>登录并进入 Sora</li>
</ol>
<h2>1.1 价格对比</h2>
<table>
<tbody>
<tr><td><p>方案</p></td><td><p>价格</p></td><td><p>视频时长</p></td></tr>
<tr><td><p><img src="{ICON}" data-original-src="{DRIVE}0a1b2c3d4e"> Plus</p></td><td><p>$20/月</p></td><td><p>5 秒</p></td></tr>
<tr><td><p>Pro | 团队</p></td><td><p>$200/月</p></td><td><p>20 秒</p></td></tr>
</tbody>
</table>
<p><img src="{PRICES}" alt="价格截图" data-original-src="{DRIVE}dcf3b532d2"></p>
<h1 class="heading-h1">二、第一条视频</h1>
<div class="callout"><p>提示：第一条视频建议不超过 10 秒。</p></div>
<blockquote><p>好的提示词 = 主体 + 动作 + 场景。</p></blockquote>
<pre><code class="language-python">import sora

# 生成一条 5 秒的视频
clip = sora.generate("a cat &lt;3 the sea", seconds=5)
print(clip.url)</code></pre>
<p>demo.mp4【在线播放】</p>
<video src="video/ocean_wave.mp4" controls></video>
<p>更多案例见<a href="https://t16jzwqrzjx.feishu.cn/wiki/Abc123">案例库</a>。</p>
<!-- feishu-export: v2 -->
<script>track("view", "Kq2Ld9e0");</script>
<style>.page-main {{ max-width: 820px; }}</style>
</div>
</body>
</html>
"""


@pytest.fixture(scope="module")
def export():
    return parse_document(FEISHU_HTML_EXPORT, filename="AI产品丨02.md")


@pytest.fixture(scope="module")
def body(export):
    return export.articles[0].body_markdown


@pytest.mark.parametrize("filename", ["AI产品丨02.md", "upload.txt", ""])
def test_the_export_is_recognized_as_feishu_by_its_content(filename):
    assert detect_format(FEISHU_HTML_EXPORT, filename) == "feishu"


def test_the_title_is_the_first_h1_and_the_source_quote_leaves_the_body(export, body):
    assert export.format == "feishu"
    assert export.title == "AI产品丨02 Sora 上手指南"
    assert export.source_url == "https://t16jzwqrzjx.feishu.cn/docx/Kq2Ld9e0QoJlSgx8oNjcvVYSabc"
    assert export.articles[0].title == export.title
    assert body.startswith(f"![]({COVER})\n\n出品时间：2024 年 3 月 20 日\n\n## 一、准备工作\n")
    assert "来源" not in body


def test_nothing_of_the_head_scripts_styles_or_comments_reaches_the_body(body):
    for hidden_text in ("飞书云文档", "font-family", "border-radius", "__FEISHU_EXPORT__", "track(", "max-width", "feishu-export"):
        assert hidden_text not in body


def test_images_keep_their_local_paths_and_their_original_urls(export, body):
    article = export.articles[0]
    assert article.image_paths == (COVER, ICON, PRICES)
    assert article.image_sources == ((COVER, DRIVE + "17f5490817"), (ICON, DRIVE + "0a1b2c3d4e"), (PRICES, DRIVE + "dcf3b532d2"))
    assert f"![价格截图]({PRICES})" in body
    assert "data-original-src" not in body


def test_a_table_becomes_a_markdown_table_headed_by_its_first_row(body):
    assert (f"| 方案 | 价格 | 视频时长 |\n| --- | --- | --- |\n| ![]({ICON}) Plus | $20/月 | 5 秒 |\n| Pro \\| 团队 | $200/月 | 20 秒 |") in body


def test_nested_lists_are_indented_four_spaces_as_python_markdown_needs(body):
    assert "- 一个 OpenAI 账号\n    - 需要 Plus 订阅\n    - 地区：美国\n- 提示词模板" in body
    html = render_markdown(body)
    assert re.search(r"<li>一个 OpenAI 账号\s*<ul>\s*<li>需要 Plus 订阅</li>", html)


def test_an_ordered_list_keeps_its_start_number(body):
    assert "3. 打开官网\n4. 登录并进入 Sora" in body


def test_inline_emphasis_survives_and_styling_spans_leave_only_their_text(body):
    assert "先准备三样东西：账号、**提示词**和一点*耐心*。" in body


def test_a_code_block_keeps_its_language_and_its_text_as_written(body):
    code = 'import sora\n\n# 生成一条 5 秒的视频\nclip = sora.generate("a cat <3 the sea", seconds=5)\nprint(clip.url)'
    assert f"```python\n{code}\n```" in body


def test_quotes_and_callouts_stay_text_blocks(body):
    assert "\n> 好的提示词 = 主体 + 动作 + 场景。\n" in body
    assert "\n提示：第一条视频建议不超过 10 秒。\n" in body


def test_videos_become_placeholders_naming_the_video(body):
    placeholders = re.findall(r'^<div class="media-placeholder media-video">视频（原文为在线播放，未导入）：(.*)</div>$', body, re.MULTILINE)
    assert placeholders == ["demo.mp4", "ocean_wave.mp4"]
    assert "【在线播放】" not in body


def test_urls_in_the_text_are_linked_whole_and_links_keep_their_targets(body):
    assert "见 <https://openai.com/sora_guide> 。" in body
    assert "更多案例见[案例库](https://t16jzwqrzjx.feishu.cn/wiki/Abc123)。" in body


def test_the_production_date_line_dates_the_export(export):
    assert export.articles[0].published_at.isoformat() == "2024-03-20"


def test_heading_split_gives_a_part_per_h1_each_with_its_own_images():
    parts = parse_document(FEISHU_HTML_EXPORT, split="heading").articles
    assert [part.title for part in parts] == ["AI产品丨02 Sora 上手指南", "一、准备工作", "二、第一条视频"]
    assert [part.identity for part in parts] == ["t:ai产品丨02sora上手指南", "t:一准备工作", "t:二第一条视频"]
    assert [part.image_paths for part in parts] == [(COVER,), (ICON, PRICES), ()]
    assert parts[1].image_sources == ((ICON, DRIVE + "0a1b2c3d4e"), (PRICES, DRIVE + "dcf3b532d2"))
    assert parts[1].body_markdown.startswith("先准备三样东西")
    assert "## 1.1 价格对比" in parts[1].body_markdown


def test_the_same_export_minified_onto_one_line_imports_the_same():
    minified = re.sub(r">\s*\n\s*<", "><", FEISHU_HTML_EXPORT)
    assert minified.count("\n") < 10
    assert parse_document(minified) == parse_document(FEISHU_HTML_EXPORT)


@pytest.mark.parametrize(
    "paragraph",
    [
        "# 不是标题",
        "#话题 也不是标题",
        "> 不是引用",
        "- 不是列表",
        "1. 不是编号",
        "=== 不是分隔线",
        "~~~ 不是代码",
        "a*b*c 与 snake_case_name 与 `反引号`",
        "[方括号](不是链接) 与 | 竖线",
        "<div> 是说标签 &amp;lt; 是实体 AT&amp;T",
        "反斜杠 \\ 与 \\* 照原样",
    ],
)
def test_text_that_looks_like_markup_renders_as_written(paragraph):
    html = f"<h1>标题</h1><p>{paragraph.replace('<div>', '&lt;div&gt;')}</p>"
    body = parse_document(html, format="feishu").articles[0].body_markdown
    written = paragraph.replace("&amp;", "&")
    assert html_to_text(render_markdown(body)).strip() == written


def test_an_image_without_a_local_copy_points_at_its_original():
    html = f'<h1>t</h1><p><img data-original-src="{DRIVE}a"></p><p><img src="data:image/png;base64,AAAA" data-original-src="{DRIVE}b"></p>'
    article = parse_document(html, format="feishu").articles[0]
    assert article.body_markdown == f"![]({DRIVE}a)\n\n![]({DRIVE}b)"
    assert (article.image_paths, article.image_sources) == ((), ())


def test_original_urls_are_remembered_under_the_normalized_local_path():
    html = f'<h1>t</h1><p><img src="./img/a b.png" data-original-src="{DRIVE}a"><img src="img/c.png" data-original-src="javascript:alert(1)"></p>'
    article = parse_document(html, format="feishu").articles[0]
    assert article.image_paths == ("img/a b.png", "img/c.png")
    assert article.image_sources == (("img/a b.png", DRIVE + "a"),)
    assert "![](<img/a b.png>)" in article.body_markdown


def test_without_an_h1_the_page_title_names_the_document():
    html = "<html><head><title>会议纪要 - 飞书云文档</title></head><body><p>正文</p><p>第二段</p></body></html>"
    document = parse_document(html, filename="export.md", format="feishu")
    assert document.title == "会议纪要"
    assert document.articles[0].body_markdown == "正文\n\n第二段"


def test_code_that_contains_a_fence_gets_a_longer_one():
    html = "<h1>t</h1><pre><code>```\nnot the end\n```</code></pre>"
    body = parse_document(html, format="feishu").articles[0].body_markdown
    assert body == "````\n```\nnot the end\n```\n````"


def test_an_unnamed_code_language_is_left_out_of_the_fence():
    markdown = html_to_markdown('<pre><code class="language-c++ evil">x</code></pre><pre data-lang="x```y"><code>y</code></pre>').markdown
    assert markdown == "```c++\nx\n```\n\n```\ny\n```"


def test_a_leading_rule_in_html_is_not_read_as_front_matter():
    html = "<hr><p>title: 不是元数据</p><hr><h1>标题</h1><p>正文</p>"
    document = parse_document(html, format="feishu")
    assert document.warnings == ()
    assert "title: 不是元数据" in document.articles[0].body_markdown


@pytest.mark.parametrize(
    "text",
    [
        FEISHU_HTML_EXPORT,
        "<h1>标题</h1>\n<p>正文</p>",
        "<!-- 导出 -->\n<div><p>正文</p></div>",
        "<p># 开头是井号的段落</p><p>正文</p>",
    ],
)
def test_html_documents_are_told_from_markdown(text):
    assert is_html_document(text)


@pytest.mark.parametrize(
    "text",
    [
        "# 标题\n\n<p>一段 HTML</p>\n\n正文",
        '<p align="center"><img src="img/logo.png"></p>\n\n# 标题\n\n第一段正文，很长很长很长。\n\n第二段正文，也很长很长。',
        "<b>加粗</b>的开头，然后是一大段普通文字，没有任何块级标签。",
        "<div>\n\n# 标题\n\n![](img/a.png)\n\n正文\n\n</div>",
        "",
    ],
)
def test_markdown_with_some_html_is_not_an_html_document(text):
    assert not is_html_document(text)


# No ">" in the text: the word check reads "<…>" in Markdown as a tag, also inside code.
HTML_TEXT = st.text(alphabet=st.sampled_from(list("人工智能视频abcXYZ0123456789 \n*_#-+=~.:|`[]()!<&\\")), max_size=20)
HTML_BLOCKS = [
    "<p>{}</p>",
    "<h1>{}</h1>",
    "<h2>{}</h2>",
    "<blockquote>{}</blockquote>",
    "<ul><li>{}<ul><li>{}</li></ul></li></ul>",
    '<ol start="2"><li>{}</li></ol>',
    "<table><tr><td>{}</td><td>{}</td></tr></table>",
    '<pre><code class="language-python">{}</code></pre>',
    "<p><strong>{}</strong>{}<br>{}</p>",
    '<p><a href="https://a.cn/x_y">{}</a></p>',
]


@st.composite
def html_documents(draw):
    blocks = [f"<h1>标题{html.escape(draw(HTML_TEXT))}</h1>"]
    for template in draw(st.lists(st.sampled_from(HTML_BLOCKS), max_size=8)):
        blocks.append(template.format(*(html.escape(draw(HTML_TEXT)) for _ in range(template.count("{}")))))
    return "<html><body>" + "".join(blocks) + "</body></html>"


@settings(max_examples=200, deadline=None)
@given(html_documents(), st.sampled_from(["whole", "heading"]))
def test_every_word_of_the_html_reaches_the_imported_markdown(text, split):
    document = parse_document(text, format="feishu", split=split)
    expected = words(BeautifulSoup(text, "html.parser").get_text(" "), kind="plain")
    assert missing_words(expected, words(document_text(document), kind="markdown")) == []
