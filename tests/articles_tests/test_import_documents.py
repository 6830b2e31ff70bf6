"""What documents state about themselves reaches the database: front matter, Feishu HTML exports,
book titles and boilerplate, stated dates. And what they do not state is never invented."""

import io
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image

from articles.importers.service import Action, ImportOptions, Upload, import_uploads
from articles.models import Article, Column
from tests.factories import make_column

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
SHANGHAI = ZoneInfo("Asia/Shanghai")

HEXO_POST = """---
title: Sora 的十个冷知识
date: 2024-03-20 10:30:00
tags: [Sora, 视频生成]
categories:
  - 工具篇
description: 十个你可能不知道的 Sora 细节。
slug: sora-ten-facts
---

第一段正文。

第二段正文，**加粗**。
"""


def run(*uploads, dry_run=False, **options):
    report = import_uploads(uploads=list(uploads), options=ImportOptions(**options), dry_run=dry_run)
    assert report.ok, [file.error for file in report.failed]
    return report


def local(article: Article) -> datetime:
    return timezone.localtime(article.published_at, SHANGHAI)


def test_front_matter_gives_the_title_date_tags_section_and_summary_and_never_reaches_the_body():
    column = make_column(title="博客搬家")
    run(Upload("2024-03-20-sora.md", HEXO_POST.encode()), column_slug=column.slug)
    article = Article.objects.get()
    assert article.title == "Sora 的十个冷知识"
    assert (local(article).date().isoformat(), local(article).hour, local(article).minute) == ("2024-03-20", 10, 30)
    assert sorted(article.tags.names()) == ["Sora", "视频生成"]
    assert article.section.title == "工具篇"
    assert article.summary == "十个你可能不知道的 Sora 细节。"
    for leaked in ("title:", "tags:", "slug:", "---", "sora-ten-facts"):
        assert leaked not in article.body and leaked not in article.body_html
    assert "视频" in article.search_tags.split(), "tags are searchable"


def test_toml_and_json_front_matter_are_read_too():
    column = make_column(title="Hugo 博客")
    toml = '+++\ntitle = "TOML 文章"\ndate = 2024-05-01T08:00:00+08:00\ntags = ["a"]\n+++\n\n正文一。\n'
    json_post = '{\n  "title": "JSON 文章",\n  "date": "2024-05-02",\n  "tags": ["b"]\n}\n\n正文二。\n'
    run(Upload("one.md", toml.encode()), Upload("two.md", json_post.encode()), column_slug=column.slug)
    one, two = Article.objects.get(title="TOML 文章"), Article.objects.get(title="JSON 文章")
    assert local(one).isoformat().startswith("2024-05-01T08:00") and local(two).date().isoformat() == "2024-05-02"
    assert "+++" not in one.body and '"title"' not in two.body


def test_a_draft_in_front_matter_is_imported_as_a_draft():
    column = make_column(title="草稿箱")
    run(Upload("draft.md", b"---\ntitle: \xe6\x9c\xaa\xe5\xae\x8c\xe6\x88\x90\ndraft: true\n---\n\nbody\n"), column_slug=column.slug)
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert not Article.objects.published().exists()


def test_a_re_import_keeps_an_editors_date_until_the_front_matter_changes_it():
    column = make_column(title="博客")
    run(Upload("post.md", HEXO_POST.encode()), column_slug=column.slug)
    article = Article.objects.get()
    article.published_at = datetime(2024, 4, 1, 9, 0, tzinfo=SHANGHAI)
    article.save()
    again = run(Upload("post.md", HEXO_POST.encode()), column_slug=column.slug)
    assert again.files[0].summary[Action.UNCHANGED] == 1
    article.refresh_from_db()
    assert local(article).date().isoformat() == "2024-04-01"

    retagged = HEXO_POST.replace("tags: [Sora, 视频生成]", "tags: [Sora, 视频生成, 冷知识]").replace("2024-03-20 10:30:00", "2024-03-21 10:30:00")
    changed = run(Upload("post.md", retagged.encode()), column_slug=column.slug)
    assert changed.files[0].summary[Action.UPDATE] == 1
    article.refresh_from_db()
    assert sorted(article.tags.names()) == ["Sora", "冷知识", "视频生成"]
    assert local(article).date().isoformat() == "2024-03-21"
    assert Article.objects.count() == 1


def test_the_slug_is_the_posts_identity_so_a_retitled_post_is_updated_in_place():
    column = make_column(title="博客")
    run(Upload("post.md", HEXO_POST.encode()), column_slug=column.slug)
    renamed = HEXO_POST.replace("title: Sora 的十个冷知识", "title: Sora 的十一个冷知识")
    report = run(Upload("post.md", renamed.encode()), column_slug=column.slug)
    assert report.files[0].summary[Action.UPDATE] == 1
    assert list(Article.objects.values_list("title", flat=True)) == ["Sora 的十一个冷知识"]


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


FEISHU_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>x</title><style>body { color: red }</style></head>
<body>
<h1>飞书里的 Sora 笔记</h1>
<blockquote>来源：<a href="https://demo.feishu.cn/docx/AbC123">https://demo.feishu.cn/docx/AbC123</a></blockquote>
<p>出品时间：2024 年 3 月 20 日</p>
<h2>一、概览</h2>
<p>Sora 是 <strong>OpenAI</strong> 的视频模型。</p>
<p><img src="img/0123456789abcdef0123456789abcdef.png" data-original-src="https://internal-api.feishu.cn/space/api/box/stream/download/asynccode/?code=one"></p>
<p><img src="img/fedcba9876543210fedcba9876543210.png" data-original-src="https://internal-api.feishu.cn/space/api/box/stream/download/asynccode/?code=two"></p>
<ul><li>第一点</li><li>第二点</li></ul>
</body></html>
"""


def test_a_feishu_html_export_imports_like_the_markdown_ones_with_its_images_and_their_original_addresses():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/飞书笔记.md", FEISHU_HTML)
        archive.writestr("export/img/0123456789abcdef0123456789abcdef.png", png_bytes())
    report = run(Upload("export.zip", buffer.getvalue()))
    file = report.files[0]
    assert file.format == "feishu"
    column = Column.objects.get()
    assert column.title == "飞书里的 Sora 笔记"
    article = column.articles.get()
    assert article.title == "飞书里的 Sora 笔记"
    assert article.source_url == "https://demo.feishu.cn/docx/AbC123"
    assert local(article).date().isoformat() == "2024-03-20"
    assert (file.articles[0].images_found, file.articles[0].images_missing) == (1, ("img/fedcba9876543210fedcba9876543210.png",))
    assert "<h2" in article.body_html and "<strong>OpenAI</strong>" in article.body_html
    assert "color: red" not in article.body and "<style" not in article.body_html
    # The found image keeps its original address for editors; the missing one links it for readers.
    assert "code=one" in article.body and "code=one" not in article.body_html
    assert 'href="https://internal-api.feishu.cn/space/api/box/stream/download/asynccode/?code=two"' in article.body_html


def test_the_seed_feishu_export_is_dated_by_its_production_line():
    column = make_column(title="资料库")
    run(Upload("003_8ce24fcfc7872989.txt", (SEEDS / "003_8ce24fcfc7872989.txt").read_bytes()), column_slug=column.slug)
    assert {local(article).date().isoformat() for article in Article.objects.all()} == {"2024-03-20"}


def test_a_document_that_states_no_date_gets_the_import_time():
    column = make_column(title="资料库")
    before = timezone.now()
    run(Upload("002_a1fcf3bf9474e0a8.txt", (SEEDS / "002_a1fcf3bf9474e0a8.txt").read_bytes()), column_slug=column.slug)
    assert all(article.published_at >= before for article in Article.objects.all())


DOWNLOAD_SITE_BOOK = """《视频模型简史》
作者：佚名
更多精校小说尽在知轩藏书下载：http://www.zxcs.me/
==========================================================

第1章 开端
很久以前，人们只能用摄像机拍视频。
官方网址：https://openai.com/sora

第2章 转折
后来有了生成模型。

本书来自www.cr173.com免费txt小说下载站
"""


def test_a_book_is_named_by_its_title_line_and_loses_the_download_sites_lines_which_the_report_lists():
    report = run(Upload("dl_0042.txt", DOWNLOAD_SITE_BOOK.encode("gb18030")))
    file = report.files[0]
    column = Column.objects.get()
    assert column.title == "视频模型简史"
    bodies = " ".join(Article.objects.values_list("body", flat=True))
    assert "zxcs" not in bodies and "cr173" not in bodies
    assert "openai.com/sora" in bodies, "an address in the text is content"
    assert any("zxcs.me" in line for line in file.dropped_lines) and any("cr173" in line for line in file.dropped_lines)


def test_dated_xiaobot_posts_keep_their_dates():
    page = "\n".join(
        [
            "# 日更专栏_小报童_Awesome_XiaoBOT",
            "",
            "## 日更专栏介绍",
            "> 每天一篇",
            "",
            "|名称|作者|读者数量|内容数量|更新时间|",
            "|---|---|---|---|---|",
            "|[日更专栏](https://xiaobot.net/p/daily?refer=r)|某人|10人|2篇|2024-11-28|",
            "",
            "## 最近更新",
            "### 002 第二天",
            "",
            "2024-11-28",
            "",
            "第二天的正文。",
            "",
            "### 001 第一天",
            "",
            "发布时间：2024-11-27 21:15",
            "",
            "第一天的正文。",
            "",
        ]
    )
    run(Upload("daily.md", page.encode()))
    dates = {article.number: local(article).strftime("%Y-%m-%d %H:%M") for article in Article.objects.all()}
    assert dates == {1: "2024-11-27 21:15", 2: "2024-11-28 08:00"}
    assert "2024-11-28" not in Article.objects.get(number=2).body


def test_documents_whose_names_differ_only_in_case_are_separate_sources():
    column = make_column(title="笔记")
    run(Upload("Notes.md", "# 大写\n\n甲。\n".encode()), column_slug=column.slug)
    report = run(Upload("notes.md", "# 小写\n\n乙。\n".encode()), column_slug=column.slug)
    assert report.files[0].not_listed == [], "the other file's article is not this file's"
    assert Article.objects.count() == 2
