"""The import service: what reaches the database, and what a re-import does."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import Image

from articles.importers.service import Action, ImportOptions, Upload, import_uploads
from articles.models import Article, Column, Section
from tests.factories import make_column

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
XIAOBOT = "000_e8d6d63f2d1343cd.txt"
FEISHU = "001_2629df78d859b55e.txt"
BOOK = "004_6da403e4822e7372.txt"


def seed(name) -> Upload:
    return Upload(name, (SEEDS / name).read_bytes())


def run(*uploads, dry_run=False, **options):
    return import_uploads(uploads=list(uploads), options=ImportOptions(**options), dry_run=dry_run)


def png_bytes(color="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return buffer.getvalue()


def xiaobot_page(readers: int, posts: list[tuple[int, str, str]], updated="2024-11-28") -> bytes:
    lines = [
        "# 测试专栏_小报童_Awesome_XiaoBOT",
        "",
        "## 测试专栏介绍",
        "> 一个测试专栏",
        "",
        "|名称|作者|读者数量|内容数量|更新时间|",
        "|---|---|---|---|---|",
        f"|[测试专栏](https://xiaobot.net/p/test?refer=abc)|作者甲|{readers}人|{len(posts)}篇|{updated}|",
        "",
        "## 最近更新",
    ]
    for number, title, body in sorted(posts, reverse=True):
        lines += [f"### {number:03d} 基础篇：{title}", "", body, ""]
    return "\n".join(lines).encode()


def test_xiaobot_page_becomes_a_column_with_sections_and_numbered_articles():
    report = run(seed(XIAOBOT))
    assert report.ok
    column = Column.objects.get()
    assert column.title == "Sora，从入门到精通"
    assert column.stated_reader_count == 242 and column.stated_article_count == 189
    assert column.source_url == "https://xiaobot.net/p/91sora"
    assert [author.display_name for author in column.authors.all()] == ["清风徐来"]
    assert list(column.articles.order_by("number").values_list("number", flat=True)) == list(range(1, 11))
    assert list(Section.objects.filter(column=column).values_list("title", flat=True)) == ["认知篇", "基础篇", "逻辑篇", "工具篇"]
    excerpt = column.articles.get(number=10)
    assert excerpt.full_text_missing and excerpt.access == Article.Access.MEMBERS
    complete = column.articles.get(number=1)
    assert not complete.full_text_missing and complete.access == Article.Access.FREE
    assert column.article_count == 10


def test_reimporting_the_same_file_changes_nothing():
    run(seed(XIAOBOT))
    before = list(Article.objects.order_by("pk").values("pk", "title", "body", "updated_at"))
    report = run(seed(XIAOBOT))
    assert report.files[0].summary[Action.UNCHANGED] == 10
    assert list(Article.objects.order_by("pk").values("pk", "title", "body", "updated_at")) == before
    assert Column.objects.count() == 1


def test_a_newer_version_updates_figures_and_adds_only_new_posts():
    run(Upload("page.txt", xiaobot_page(100, [(1, "第一篇", "正文一"), (2, "第二篇", "正文二")], updated="2024-11-01")))
    report = run(Upload("page.txt", xiaobot_page(150, [(1, "第一篇", "正文一"), (2, "第二篇", "正文二"), (3, "第三篇", "正文三")], updated="2024-12-01")))
    column = Column.objects.get()
    assert column.stated_reader_count == 150
    assert column.articles.count() == 3
    assert report.files[0].summary == {Action.CREATE: 1, Action.UPDATE: 0, Action.UNCHANGED: 2, Action.KEPT_EDITED: 0}


def test_an_older_version_does_not_lower_the_figures():
    run(Upload("page.txt", xiaobot_page(150, [(1, "第一篇", "正文一")], updated="2024-12-01")))
    report = run(Upload("page.txt", xiaobot_page(100, [(1, "第一篇", "正文一")], updated="2024-11-01")))
    assert Column.objects.get().stated_reader_count == 150
    assert report.files[0].warnings


def test_a_changed_source_updates_an_unedited_article():
    run(Upload("page.txt", xiaobot_page(100, [(1, "第一篇", "旧的正文")])))
    before = Article.objects.get().updated_at
    report = run(Upload("page.txt", xiaobot_page(100, [(1, "第一篇", "新的正文")])))
    assert report.files[0].summary[Action.UPDATE] == 1
    assert "新的正文" in Article.objects.get().body_html
    assert Article.objects.get().updated_at > before


def test_an_article_edited_since_import_is_not_overwritten_and_the_report_says_so():
    run(Upload("page.txt", xiaobot_page(100, [(1, "第一篇", "旧的正文")])))
    article = Article.objects.get()
    article.body = "编辑补全了全文。"
    article.save()
    report = run(Upload("page.txt", xiaobot_page(100, [(1, "第一篇", "新的正文")])))
    assert report.files[0].summary[Action.KEPT_EDITED] == 1
    assert any("已被编辑" in warning for warning in report.files[0].warnings)
    assert Article.objects.get().body == "编辑补全了全文。"


def test_dry_run_reports_everything_and_writes_nothing():
    report = run(seed(XIAOBOT), seed(BOOK), dry_run=True)
    assert report.ok and report.dry_run
    assert report.files[0].column_action == "create"
    assert len(report.files[0].articles) == 10
    assert report.files[0].sections_created == ["认知篇", "基础篇", "逻辑篇", "工具篇"]
    assert [article.title[:5] for article in report.files[1].articles] == ["第 1 章", "第 2 章"]
    assert not Column.objects.exists() and not Article.objects.exists() and not Section.objects.exists()


def test_a_failed_file_writes_nothing_and_the_others_still_import():
    report = run(Upload("empty.txt", b""), Upload("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00"), seed(XIAOBOT))
    assert [file.ok for file in report.files] == [False, False, True]
    assert "empty.txt" in report.files[0].error and "binary.md" in report.files[1].error
    assert Column.objects.count() == 1


def test_a_database_failure_rolls_back_the_whole_file(monkeypatch):
    from articles.importers import service

    def explode(*args, **kwargs):
        raise service.DatabaseError("disk full")

    monkeypatch.setattr(service.Article.objects, "bulk_create", explode)
    report = run(seed(XIAOBOT))
    assert not report.ok and "写入数据库失败" in report.files[0].error
    assert not Column.objects.exists() and not Section.objects.exists()


def test_importing_into_an_existing_column_appends_chapters_with_sections_and_free_first_chapter():
    column = make_column(title="资料库")
    run(seed(BOOK), column_slug=column.slug)
    chapters = list(column.articles.order_by("number"))
    assert [chapter.number for chapter in chapters] == [1, 2]
    assert chapters[0].access == Article.Access.FREE and chapters[1].access == Article.Access.MEMBERS
    assert chapters[0].section.title == "第1篇 技术简史"


def test_unknown_target_column_is_an_error_naming_it():
    report = run(seed(BOOK), column_slug="nope")
    assert "nope" in report.files[0].error
    assert not Article.objects.exists()


def test_images_in_a_zip_are_stored_and_missing_ones_become_placeholders(django_capture_on_commit_callbacks):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("doc/文档.md", "# 带图的文档\n\n第一段。\n\n![](img/a.png)\n\n![](img/missing.png)\n\n结尾。\n")
        zipped.writestr("doc/img/a.png", png_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        report = run(Upload("upload.zip", archive.getvalue()))
    assert report.ok
    outcome = report.files[0].articles[0]
    assert outcome.images_found == 1 and outcome.images_missing == ("img/missing.png",)
    html = Article.objects.get().body_html
    assert 'src="/media/imports/' in html
    assert "media-placeholder" in html and "img/missing.png" in html
    stored = html.split('src="/media/')[1].split('"')[0]
    assert default_storage.exists(stored)


def test_a_dry_run_stores_no_image_files(settings, django_capture_on_commit_callbacks):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("文档.md", "# 文档\n\n![](a.png)\n")
        zipped.writestr("a.png", png_bytes("blue"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = run(Upload("upload.zip", archive.getvalue()), dry_run=True)
    assert callbacks == []
    assert report.files[0].articles[0].images_found == 1
    assert not (Path(settings.MEDIA_ROOT) / "imports").exists()


def test_a_file_that_is_not_an_image_is_reported_not_stored():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("文档.md", "# 文档\n\n![](fake.png)\n")
        zipped.writestr("fake.png", b"<script>alert(1)</script>")
    report = run(Upload("upload.zip", archive.getvalue()))
    assert report.files[0].articles[0].images_missing == ("fake.png",)
    assert any("fake.png" in warning for warning in report.files[0].warnings)


def test_hostile_html_in_markdown_is_sanitized_on_import():
    report = run(Upload("evil.md", "# 标题\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[点我](javascript:alert(1))\n".encode()))
    assert report.ok
    html = Article.objects.get().body_html.lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_command_prints_a_summary_and_fails_when_a_file_fails(tmp_path, capsys):
    (tmp_path / "empty.md").write_bytes(b"")
    with pytest.raises(CommandError, match="1 of 2 files failed"):
        call_command("import_documents", str(SEEDS / XIAOBOT), str(tmp_path / "empty.md"))
    output = capsys.readouterr().out
    assert "Sora，从入门到精通" in output and "empty.md" in output
    assert Column.objects.count() == 1


def test_command_dry_run_writes_nothing(capsys):
    call_command("import_documents", str(SEEDS / FEISHU), "--dry-run")
    assert "试运行" in capsys.readouterr().out
    assert not Column.objects.exists()


def test_setup_demo_imports_the_seeds_once_and_prints_logins(capsys):
    call_command("setup_demo")
    first = capsys.readouterr().out
    assert "editor@example.com" in first and "reader@example.com" in first
    titles = set(Column.objects.values_list("title", flat=True))
    assert titles == {"Sora，从入门到精通", "Sora 学习资料库"}
    counts = (Column.objects.count(), Article.objects.count())
    call_command("setup_demo")
    assert (Column.objects.count(), Article.objects.count()) == counts
    assert "already" in capsys.readouterr().out


@pytest.mark.parametrize("member", ["../evil.md", "/etc/evil.md", "C:/evil.md"])
def test_a_zip_with_an_escaping_path_is_refused_whole_and_writes_nothing(member):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("good.md", "# 好文档\n\n正文。\n")
        zipped.writestr(member, "# 坏文档\n\n正文。\n")
    report = run(Upload("upload.zip", archive.getvalue()), seed(XIAOBOT))
    failed, imported = report.files
    assert not failed.ok and "upload.zip" in failed.error
    assert imported.ok
    assert set(Column.objects.values_list("title", flat=True)) == {"Sora，从入门到精通"}


def test_gb18030_text_imports_and_undecodable_text_is_named():
    report = run(
        Upload("gbk.md", "# 中文标题\n\n这是 GBK 编码的正文内容，编辑常常从旧系统导出这样的文件。\n".encode("gb18030")),
        Upload("latin.txt", bytes(range(0x80, 0x100)) * 8),
    )
    files = {file.filename: file for file in report.files}
    assert files["gbk.md"].ok and Article.objects.get().title == "中文标题"
    assert not files["latin.txt"].ok and "latin.txt" in files["latin.txt"].error


def test_a_stated_access_decides_unless_the_editor_chose_free_articles():
    column = make_column(title="目标")
    posts = [Upload(f"{access}.md", f"---\ntitle: {access} 文章\naccess: {access}\n---\n正文".encode()) for access in ("members", "free")]
    import_uploads(uploads=posts, options=ImportOptions(column_slug=column.slug), dry_run=False)
    assert dict(Article.objects.filter(column=column).values_list("title", "access")) == {"members 文章": "members", "free 文章": "free"}

    other = make_column(title="编辑指定")
    import_uploads(uploads=posts, options=ImportOptions(column_slug=other.slug, free_first=0), dry_run=False)
    assert set(Article.objects.filter(column=other).values_list("access", flat=True)) == {"members"}
