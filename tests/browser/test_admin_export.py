"""An editor exports a column from admin's column list: the export's page while it waits and
runs, then the download. Screenshots at a desktop and a phone width."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from members.models import ColumnExport
from tests.factories import PASSWORD, make_column, make_editor, paid_body
from tests.helpers import run_queued_tasks

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("database_tasks")]


def sign_in(page, live_server, editor):
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", editor.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def test_editor_exports_a_column_and_downloads_the_zip(live_server, open_page, screenshot_dir):
    editor = make_editor(email="editor@example.com")
    column = make_column(title="AI 视频创作")
    for number in range(1, 6):
        Article.objects.create(column=column, number=number, title=f"第 {number} 篇", body=paid_body())
    page, phone = open_page(1280, 900), open_page(390, 844)
    sign_in(page, live_server, editor)
    sign_in(phone, live_server, editor)

    page.goto(f"{live_server.url}/admin/articles/column/")
    page.check(f"input[name=_selected_action][value='{column.pk}']")
    page.select_option("select[name=action]", "export_columns")
    page.click("button[name=index]")
    expect(page.locator("#export-status[data-status=queued]")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-export-1280-01-queued.png", full_page=True)

    # A large column part way through, as its page shows it while the worker writes.
    export = ColumnExport.objects.get()
    now = timezone.now()
    ColumnExport.objects.filter(pk=export.pk).update(
        status="running", progress_done=137, progress_total=340, started_at=now - timedelta(minutes=2), heartbeat_at=now
    )
    page.reload()
    expect(page.locator("#export-done")).to_have_text("137")
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(1)
    page.screenshot(path=screenshot_dir / "admin-export-1280-02-running.png", full_page=True)
    phone.goto(page.url)
    phone.screenshot(path=screenshot_dir / "admin-export-390-02-running.png", full_page=True)

    ColumnExport.objects.filter(pk=export.pk).update(status="queued", progress_done=0, started_at=None, heartbeat_at=None)
    run_queued_tasks()
    page.reload()
    expect(page.locator("#export-status[data-status=done]")).to_be_visible()
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "admin-export-1280-03-done.png", full_page=True)
    phone.goto(page.url)
    phone.screenshot(path=screenshot_dir / "admin-export-390-03-done.png", full_page=True)

    with page.expect_download() as download:
        page.click("#export-download")
    assert download.value.suggested_filename.startswith(column.slug) and download.value.suggested_filename.endswith(".zip")
