"""A column's export (members/exports/): Markdown the portal's own import reads back as it was,
the images beside it, members.csv and orders.csv, the command, and admin's background export
with its progress page and a download only the right staff get."""

import csv
import io
import re
import uuid
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from articles.images import sanitize_image
from articles.importers import parse_document
from articles.importers.front_matter import read_front_matter
from articles.importers.service import Action, ImportOptions, Upload, import_uploads
from articles.markdown import render_markdown
from articles.models import Article, Section
from members.codes import code_redeem, codes_create
from members.exports import jobs
from members.exports.column import column_export_write
from members.exports.jobs import ProgressReporter
from members.exports.markdown import ExportedArticle, file_stem, markdown_file
from members.models import ColumnExport, Plan
from members.services import order_create, order_mark_paid, order_refund
from tests.factories import make_column, make_editor, make_section, make_user
from tests.helpers import run_queued_tasks

pytestmark = pytest.mark.django_db

WHEN = datetime(2024, 3, 20, 10, 30, 15, tzinfo=timezone.get_fixed_timezone(8 * 60))
BODY_WITH_EVERYTHING = "\n".join(
    [
        "# 文章标题",
        "",
        "开场白，见 https://example.com/a?u=http://b.cn/x 。",
        "",
        "<!-- more -->",
        "",
        "# 第二部分 {#part-two}",
        "",
        "`https://code.example.com` 和 [链接](https://link.example.com) 和 <https://auto.example.com>",
        "",
        "```",
        "# not a heading https://fenced.example.com",
        "```",
        "",
        '<div class="note">',
        "https://html-block.example.com",
        "</div>",
    ]
)


def clean_image(format="PNG", color=(200, 40, 40), size=(24, 16)):
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    image.save(buffer, format)
    return sanitize_image(buffer.getvalue(), max_bytes=10**7, max_pixels=10**7)


def stored_image(format="PNG", **kwargs) -> str:
    """An image as the import stores it; its address as article bodies link it."""
    clean = clean_image(format, **kwargs)
    name = default_storage.save(f"imports/{clean.name}", ContentFile(clean.data))
    return default_storage.url(name)


def exported_zip(column, **kwargs) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        column_export_write(column=column, write=lambda path, data: archive.writestr(path, data), **kwargs)
    return buffer.getvalue()


def zip_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def output(tmp_path):
    """An empty folder to export into (tmp_path holds the test's media too)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def portal_article(**fields) -> ExportedArticle:
    return ExportedArticle(**{"number": 1, "title": "文章标题", "published_at": WHEN, "body": "正文", **fields})


# The Markdown file


def test_front_matter_states_title_date_tags_section_access_draft_summary_and_slug():
    article = portal_article(tags=("AI", "视频, 剪辑"), section="基础篇", access="free", draft=True, description="一句话\n两行")
    stated = read_front_matter(markdown_file(article, slug="001-wen-zhang"))
    assert stated.title == "文章标题"
    assert stated.published_at == WHEN
    assert stated.tags == ("AI", "视频, 剪辑")
    assert stated.categories == ("基础篇",)
    assert stated.access == "free"
    assert stated.draft is True
    assert stated.description == "一句话\n两行"
    assert stated.slug == "001-wen-zhang"
    assert stated.warnings == ()
    assert stated.body.strip() == "正文"


def test_the_file_name_numbers_the_article_and_spells_its_title():
    assert file_stem(7, "Sora 是什么") == "007-sora-shi-shen-me"
    assert file_stem(12, "？！", width=4) == "0012-article"


@pytest.mark.parametrize(
    "body",
    [
        BODY_WITH_EVERYTHING,
        "# 文章标题\n\n标题重复在正文开头。",
        "> 来源：[原文](https://quoted.example.com/post)\n\n正文引用了一个来源行。",
        "第一段\r\n\r\n第二段 https://crlf.example.com\r\n",
        "段落紧贴着\n# 标题\n正文紧贴着标题",
    ],
)
def test_the_import_reads_the_body_back_rendering_exactly_as_before(body):
    """The import demotes H1s, drops an H1 repeating the title, links bare URLs and takes a
    "> 来源：" line for the source; none of it may change how the exported article reads."""
    parsed = parse_document(markdown_file(portal_article(body=body), slug="001-x"), filename="001-x.md")
    assert parsed.format == "markdown"
    [article] = parsed.articles
    assert render_markdown(article.body_markdown) == render_markdown(body.replace("\r\n", "\n"))
    assert article.source_url == ""


def test_the_source_address_comes_back_as_the_source():
    parsed = parse_document(markdown_file(portal_article(source_url="https://xiaobot.net/post/1"), slug="001-x"), filename="001-x.md")
    assert parsed.articles[0].source_url == "https://xiaobot.net/post/1"
    assert render_markdown(parsed.articles[0].body_markdown) == render_markdown("正文")


# Images


def test_stored_images_are_copied_once_beside_the_articles_and_linked_relatively():
    column = make_column(title="图片专栏")
    red, blue = stored_image(color=(200, 0, 0)), stored_image("JPEG", color=(0, 0, 200))
    gone = f"{settings.MEDIA_URL}imports/gone-8x8.png"
    Article.objects.create(column=column, title="一", body=f'![红]({red})\n\n![蓝]({blue} "标题")\n\n![外](https://other.example.com/a.png)')
    Article.objects.create(column=column, title="二", body=f"![又是红]({red})\n\n![没了]({gone})\n\n```\n![代码]({red})\n```")
    files = zip_files(exported_zip(column))

    red_name, blue_name = red.rsplit("/", 1)[1], blue.rsplit("/", 1)[1]
    slug = column.slug
    assert files[f"{slug}/articles/img/{red_name}"] == default_storage.open(f"imports/{red_name}").read()
    assert files[f"{slug}/articles/img/{blue_name}"] == default_storage.open(f"imports/{blue_name}").read()
    assert len([name for name in files if "/img/" in name]) == 2
    first = files[f"{slug}/articles/001-yi.md"].decode()
    assert f"![红](img/{red_name})" in first and f'![蓝](img/{blue_name} "标题")' in first
    assert "![外](https://other.example.com/a.png)" in first
    second = files[f"{slug}/articles/002-er.md"].decode()
    assert f"![又是红](img/{red_name})" in second
    assert f"![没了]({gone})" in second and f"![代码]({red})" in second
    assert gone in files[f"{slug}/README"].decode()


# members.csv and orders.csv


def paid_order(user, plan):
    order = order_create(user=user, plan=plan, provider="manual", checkout_token=uuid.uuid4())
    return order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)[0]


def test_members_and_orders_list_every_membership_and_order_with_their_plans_and_times():
    column = make_column(title="读者专栏", plans=[("annual", 9900), ("lifetime", 29950)])
    annual, lifetime = Plan.objects.get(column=column, kind="annual"), Plan.objects.get(column=column, kind="lifetime")
    yearly, forever, coded, refunded, waiting = (make_user(email=f"{name}@example.com") for name in ("yearly", "forever", "coded", "refunded", "waiting"))
    paid_order(yearly, annual)
    paid_order(forever, lifetime)
    [code] = codes_create(column=column, count=1, days=30)
    code_redeem(user=coded, raw_code=code.code)
    taken_back = order_refund(order_id=paid_order(refunded, annual).pk)
    pending = order_create(user=waiting, plan=annual, provider="manual", checkout_token=uuid.uuid4())
    files = zip_files(exported_zip(column))

    members = {row["email"]: row for row in csv_rows(files[f"{column.slug}/members.csv"])}
    assert list(next(iter(members.values()))) == ["email", "plan", "start", "end", "source"]
    assert set(members) == {"yearly@example.com", "forever@example.com", "coded@example.com", "refunded@example.com"}
    assert (members["yearly@example.com"]["plan"], members["yearly@example.com"]["source"]) == ("annual", "purchase")
    yearly_membership = yearly.memberships.get()
    assert members["yearly@example.com"]["start"] == timezone.localtime(yearly_membership.starts_at).isoformat(timespec="seconds")
    assert members["yearly@example.com"]["end"] == timezone.localtime(yearly_membership.expires_at).isoformat(timespec="seconds")
    assert (members["forever@example.com"]["plan"], members["forever@example.com"]["end"]) == ("lifetime", "")
    assert (members["coded@example.com"]["plan"], members["coded@example.com"]["source"]) == ("30 days", "code")
    assert members["refunded@example.com"]["end"] == timezone.localtime(taken_back.refunded_at).isoformat(timespec="seconds")

    orders = {row["number"]: row for row in csv_rows(files[f"{column.slug}/orders.csv"])}
    assert list(next(iter(orders.values()))) == ["number", "email", "plan", "amount_yuan", "status", "provider", "created", "paid", "refunded"]
    assert len(orders) == 4
    assert orders[taken_back.number] | {"created": "", "paid": ""} == {
        "number": taken_back.number,
        "email": "refunded@example.com",
        "plan": "annual",
        "amount_yuan": "99.00",
        "status": "refunded",
        "provider": "manual",
        "created": "",
        "paid": "",
        "refunded": timezone.localtime(taken_back.refunded_at).isoformat(timespec="seconds"),
    }
    assert orders[pending.number]["status"] == "pending" and orders[pending.number]["paid"] == ""
    assert [row["amount_yuan"] for row in orders.values() if row["plan"] == "lifetime"] == ["299.50"]


def test_an_address_a_spreadsheet_would_run_as_a_formula_is_written_as_text():
    column = make_column()
    reader = make_user(email="=cmd@example.com")
    paid_order(reader, column.plans.get())
    rows = csv_rows(zip_files(exported_zip(column))[f"{column.slug}/members.csv"])
    assert rows[0]["email"] == "'=cmd@example.com"


# The round trip


@pytest.fixture
def rich_column():
    column = make_column(title="往返专栏")
    basics, advanced = make_section(column, title="基础篇", position=1), make_section(column, title="进阶篇", position=2)
    png, jpeg = stored_image(), stored_image("JPEG", size=(30, 20))
    specs = [
        dict(title="Sora 是什么", section=basics, access="free", tags=["AI", "视频"], body=f"# Sora 是什么\n\n![示意]({png})\n\n{BODY_WITH_EVERYTHING}"),
        dict(title="提示词", section=basics, access="members", tags=["AI"], description="怎样写提示词", source_url="https://xiaobot.net/p/1"),
        dict(title="草稿", section=advanced, access="members", status=Article.Status.DRAFT, body=f"![照片]({jpeg})\n\n未发布的正文"),
        dict(title="没有栏目", section=None, access="free"),
    ]
    for number, spec in enumerate(specs, start=1):
        tags = spec.pop("tags", [])
        spec.setdefault("body", "免费段落。\n\n<!-- more -->\n\n付费段落：只有会员能读。")
        article = Article.objects.create(column=column, number=number, published_at=WHEN.replace(day=number), **spec)
        article.tags.set(tags)
    return column


def article_facts(column, *, images_by_size=False):
    facts = []
    for article in Article.objects.filter(column=column).select_related("section").prefetch_related("tags").order_by("number"):
        body_html = article.body_html
        if images_by_size:  # a JPEG is re-encoded on every import, so only its size stays
            body_html = re.sub(r"/media/imports/[0-9a-f]{24}-(\d+x\d+)\.jpg", r"JPEG-\1", body_html)
        facts.append(
            {
                "number": article.number,
                "title": article.title,
                "published_at": article.published_at,
                "tags": sorted(tag.name for tag in article.tags.all()),
                "section": article.section.title if article.section else None,
                "access": article.access,
                "status": article.status,
                "description": article.description,
                "source_url": article.source_url,
                "body_html": body_html,
                "preview_html": article.preview_html,
            }
        )
    return facts


def test_an_exported_column_imports_back_as_it_was_and_a_second_import_adds_nothing(rich_column, django_capture_on_commit_callbacks):
    fresh = make_column(title="新专栏")
    upload = Upload(f"{rich_column.slug}.zip", exported_zip(rich_column))
    with django_capture_on_commit_callbacks(execute=True):
        report = import_uploads(uploads=[upload], options=ImportOptions(column_slug=fresh.slug), dry_run=False)
    assert report.ok and all(file.warnings == [] for file in report.files)
    assert article_facts(fresh, images_by_size=True) == article_facts(rich_column, images_by_size=True)
    # The PNG comes back byte for byte, under the same name: the HTML is the same to the letter.
    assert article_facts(fresh)[0]["body_html"] == article_facts(rich_column)[0]["body_html"]
    assert list(Section.objects.filter(column=fresh).values_list("title", flat=True)) == ["基础篇", "进阶篇"]
    [jpeg_copy] = re.findall(r"/media/(imports/[0-9a-f]{24}-30x20\.jpg)", Article.objects.get(column=fresh, title="草稿").body_html)
    assert default_storage.exists(jpeg_copy)

    again = import_uploads(uploads=[upload], options=ImportOptions(column_slug=fresh.slug), dry_run=False)
    assert {outcome.action for file in again.files for outcome in file.articles} == {Action.UNCHANGED}
    assert Article.objects.filter(column=fresh).count() == 4


def test_the_exported_folder_imports_with_the_import_command(rich_column, output):
    call_command("export_column", rich_column.slug, output=str(output), stdout=io.StringIO())
    fresh = make_column(title="命令导入")
    articles = output / rich_column.slug / "articles"
    call_command("import_documents", str(articles), str(articles / "img"), column=fresh.slug, stdout=io.StringIO())
    assert article_facts(fresh, images_by_size=True) == article_facts(rich_column, images_by_size=True)


# The command


def test_the_command_writes_the_folder_or_the_zip_and_prints_progress(rich_column, output):
    out = io.StringIO()
    call_command("export_column", rich_column.slug, output=str(output), stdout=out)
    root = output / rich_column.slug
    assert sorted(path.name for path in root.iterdir()) == ["README", "articles", "members.csv", "orders.csv"]
    assert sorted(path.name for path in (root / "articles").glob("*.md")) == [
        "001-sora-shi-shen-me.md",
        "002-ti-shi-ci.md",
        "003-cao-gao.md",
        "004-mei-you-lan-mu.md",
    ]
    assert "往返专栏" in (root / "README").read_text()
    assert "4/4 articles" in out.getvalue() and "4 articles, 2 images" in out.getvalue()

    call_command("export_column", rich_column.slug, output=str(output), zip=True, stdout=io.StringIO())
    names = zip_files((output / f"{rich_column.slug}.zip").read_bytes())
    assert {name.replace(rich_column.slug, "SLUG", 1) for name in names} >= {
        "SLUG/README",
        "SLUG/members.csv",
        "SLUG/orders.csv",
        "SLUG/articles/003-cao-gao.md",
    }
    assert sorted(path.name for path in output.iterdir()) == [rich_column.slug, f"{rich_column.slug}.zip"]


def test_the_command_refuses_to_overwrite_and_names_unknown_columns_and_folders(rich_column, output):
    (output / rich_column.slug).mkdir()
    (output / rich_column.slug / "mine.txt").write_text("keep me")
    with pytest.raises(CommandError, match="exists already"):
        call_command("export_column", rich_column.slug, output=str(output), stdout=io.StringIO())
    assert [path.name for path in (output / rich_column.slug).iterdir()] == ["mine.txt"]
    assert sorted(path.name for path in output.iterdir()) == [rich_column.slug]
    with pytest.raises(CommandError, match="No column"):
        call_command("export_column", "no-such-column", output=str(output))
    with pytest.raises(CommandError, match="no such folder"):
        call_command("export_column", rich_column.slug, output=str(output / "missing"))


@pytest.mark.parametrize("as_zip", [False, True])
def test_a_failing_command_leaves_nothing_behind(rich_column, output, monkeypatch, as_zip):
    monkeypatch.setattr("members.exports.column.orders_rows", fail_with_disk_full)
    with pytest.raises(OSError, match="disk full"):
        call_command("export_column", rich_column.slug, output=str(output), zip=as_zip, stdout=io.StringIO())
    assert list(output.iterdir()) == []


def fail_with_disk_full(column):
    raise OSError("disk full")


# Admin: the action, the background job, the page and the download


def staff(*permissions):
    user = make_user(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    return user


def start_export(client, column):
    changelist = reverse("admin:articles_column_changelist")
    return client.post(changelist, {"action": "export_columns", "_selected_action": [column.pk]})


def test_the_action_exports_in_the_background_and_the_page_shows_progress_then_the_download(rich_column, client, database_tasks):
    editor = make_editor()
    client.force_login(editor)
    response = start_export(client, rich_column)
    export = ColumnExport.objects.get()
    assert response.status_code == 302 and response["Location"] == export.get_absolute_url()
    assert (export.status, export.progress_done, export.progress_total, export.requested_by) == ("queued", 0, 4, editor)

    waiting = client.get(export.get_absolute_url())
    assert b'http-equiv="refresh"' in waiting.content and b'id="export-download"' not in waiting.content

    assert run_queued_tasks() == 1
    export.refresh_from_db()
    assert (export.status, export.progress_done, export.progress_total, export.error) == ("done", 4, 4, "")
    assert export.finished_at and export.size == export.file.size
    done = client.get(export.get_absolute_url())
    assert b'http-equiv="refresh"' not in done.content
    download_url = reverse("admin:members_columnexport_download", args=[export.pk])
    assert f'href="{download_url}"'.encode() in done.content

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "no-store" in download["Cache-Control"] and "private" in download["Cache-Control"]
    assert f"{rich_column.slug}/articles/002-ti-shi-ci.md" in zip_files(b"".join(download.streaming_content))


def test_the_zip_is_kept_privately_under_a_name_nobody_can_guess(rich_column, client):
    client.force_login(make_editor())
    start_export(client, rich_column)
    start_export(client, rich_column)
    names = list(ColumnExport.objects.filter(status="done").values_list("file", flat=True))
    assert len(set(names)) == 2
    for export in ColumnExport.objects.all():
        path = Path(export.file.path)
        assert path.is_relative_to(settings.PRIVATE_MEDIA_ROOT) and not path.is_relative_to(settings.MEDIA_ROOT)
        assert re.fullmatch(r"column-exports/[A-Za-z0-9_-]{24}/" + re.escape(rich_column.slug) + r"-\d{8}-\d{4}\.zip", export.file.name)
        with pytest.raises(ValueError):
            export.file.url  # noqa: B018 - private files have no address


def test_only_staff_who_may_see_orders_and_read_the_column_get_the_page_and_the_file(rich_column, client):
    client.force_login(make_editor())
    start_export(client, rich_column)
    export = ColumnExport.objects.get(status="done")
    page, download = export.get_absolute_url(), reverse("admin:members_columnexport_download", args=[export.pk])
    client.logout()

    anonymous = client.get(download)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("admin:login"))
    for permissions in [(), ("view_order",), ("read_all_articles",)]:
        client.force_login(staff(*permissions))
        assert client.get(download).status_code == 403, permissions
        assert client.get(page).status_code == 403, permissions
    client.force_login(staff("view_order", "read_all_articles"))
    assert client.get(download).status_code == 200
    assert client.get(page).status_code == 200


def test_the_action_refuses_staff_who_may_not_read_the_whole_column(rich_column, client):
    client.force_login(staff("view_order", "view_column"))
    response = start_export(client, rich_column)
    assert response.status_code == 302
    assert not ColumnExport.objects.exists()
    assert any(rich_column.title in str(message) for message in get_messages(response.wsgi_request))


def test_a_failing_export_records_its_error_and_keeps_no_file(rich_column, client, monkeypatch):
    monkeypatch.setattr("members.exports.column.orders_rows", fail_with_disk_full)
    client.force_login(make_editor())
    start_export(client, rich_column)
    export = ColumnExport.objects.get()
    assert export.status == "failed" and "disk full" in export.error and export.finished_at
    assert not export.file
    assert [path for path in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if path.is_file()] == []
    page = client.get(export.get_absolute_url())
    assert b'id="export-error"' in page.content and b"disk full" in page.content
    assert client.get(reverse("admin:members_columnexport_download", args=[export.pk])).status_code == 404


def test_progress_is_written_at_most_every_second_and_always_at_the_end(rich_column, monkeypatch):
    export = ColumnExport.objects.create(column=rich_column, status="running")
    reporter = ProgressReporter(export.pk)
    reporter(1, 100)
    reporter(2, 100)
    export.refresh_from_db()
    assert (export.progress_done, export.progress_total) == (1, 100)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", timedelta(0))
    reporter(3, 100)
    export.refresh_from_db()
    assert export.progress_done == 3
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", timedelta(hours=1))
    reporter(100, 100)
    export.refresh_from_db()
    assert export.progress_done == 100


def test_the_export_hears_of_each_article(rich_column):
    heard = []
    exported_zip(rich_column, progress=lambda done, total: heard.append((done, total)))
    assert heard == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


def test_an_export_for_an_editor_who_may_not_see_drafts_leaves_them_out(rich_column):
    reader = staff("view_order", "read_all_articles")
    names = zip_files(exported_zip(rich_column, reader=reader))
    assert f"{rich_column.slug}/articles/003-cao-gao.md" not in names
    assert f"{rich_column.slug}/articles/002-ti-shi-ci.md" in names
    outsider = make_user()
    assert [name for name in zip_files(exported_zip(rich_column, reader=outsider)) if name.endswith(".md")] == [
        f"{rich_column.slug}/articles/001-sora-shi-shen-me.md",
        f"{rich_column.slug}/articles/004-mei-you-lan-mu.md",
    ]


def test_export_again_starts_a_new_export_and_deleting_one_deletes_its_file(rich_column, client):
    client.force_login(make_editor())
    start_export(client, rich_column)
    first = ColumnExport.objects.get()
    response = client.post(first.get_absolute_url())
    second = ColumnExport.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302 and response["Location"] == second.get_absolute_url()
    assert second.status == "done"

    stored = Path(first.file.path)
    changelist = reverse("admin:members_columnexport_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [first.pk], "post": "yes"})
    assert not ColumnExport.objects.filter(pk=first.pk).exists()
    assert not stored.exists() and Path(second.file.path).exists()
