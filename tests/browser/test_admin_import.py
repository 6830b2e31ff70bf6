"""An editor imports the seed documents in admin: upload, watch the dry run's progress, read it,
confirm, see the import stop when its worker dies and resume it, and find the articles on the
site. Screenshots of each step at a desktop and a phone width."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from articles.importers import service
from articles.models import Article, Column
from tests.factories import PASSWORD, make_editor
from tests.helpers import run_queued_tasks

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("database_tasks")]

SEEDS = sorted((Path(settings.BASE_DIR) / "fixtures" / "seeds").glob("*.txt"))


class WorkerKilled(BaseException):
    """A worker stopped in the middle of a task."""


def sign_in(page, live_server, editor):
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", editor.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def test_editor_imports_the_seeds_through_admin(live_server, open_page, screenshot_dir, monkeypatch):
    editor = make_editor(email="editor@example.com")
    page = open_page(1280, 900)
    phone = open_page(390, 844)
    sign_in(page, live_server, editor)
    sign_in(phone, live_server, editor)

    page.goto(f"{live_server.url}/admin/articles/importbatch/")
    page.click("a[href$='/admin/articles/importbatch/add/']")
    page.set_input_files("input[name=files]", [str(path) for path in SEEDS])
    page.screenshot(path=screenshot_dir / "admin-import-1280-01-upload.png", full_page=True)
    page.click("input[type=submit]")

    # The upload returns at once; the dry run waits for the worker.
    expect(page.locator(".import-status--analyzing")).to_be_visible()
    expect(page.locator(".import-progress progress")).to_be_visible()
    expect(page.locator("button[value=cancel]")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-import-1280-02-waiting.png", full_page=True)
    batch_url = page.url

    run_queued_tasks()
    page.reload()
    expect(page.locator(".import-status--previewed")).to_be_visible()
    for path in SEEDS:
        expect(page.locator(".import-file h2", has_text=path.name)).to_be_visible()
    expect(page.get_by_text("工具篇：打开兵器库，AI做视频工具集锦")).to_be_visible()
    expect(page.get_by_text("第 2 章 13 个要点，掌握 Sora 创新能力")).to_be_visible()
    expect(page.locator(".import-date", has_text="2024-03-20").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-import-1280-03-dry-run.png", full_page=True)
    phone.goto(batch_url)
    phone.screenshot(path=screenshot_dir / "admin-import-390-03-dry-run.png", full_page=True)
    assert not Article.objects.exists(), "the dry run wrote articles"

    page.click(".import-confirm button[value=confirm]")
    expect(page.locator(".import-status--queued")).to_be_visible()

    # The worker dies on the third document: the first two stay imported and the page says so.
    real_import_document = service.import_document

    def import_or_die(**kwargs):
        if kwargs["document"].filename == SEEDS[2].name:
            raise WorkerKilled
        return real_import_document(**kwargs)

    monkeypatch.setattr(service, "import_document", import_or_die)
    run_queued_tasks()
    monkeypatch.undo()
    page.reload()
    expect(page.locator(".import-status--running")).to_be_visible()
    expect(page.locator(".import-progress-figures dd").first).to_have_text("2")
    expect(page.locator("button[value=resume]")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-import-1280-04-stopped.png", full_page=True)
    phone.goto(batch_url)
    phone.screenshot(path=screenshot_dir / "admin-import-390-04-stopped.png", full_page=True)

    page.click("button[value=resume]")
    run_queued_tasks()
    page.goto(batch_url)
    expect(page.locator(".import-status--imported")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-import-1280-05-imported.png", full_page=True)
    assert Column.objects.count() == 5
    assert Article.objects.count() == 15

    page.click("a:has-text('工具篇：打开兵器库，AI做视频工具集锦')")
    expect(page.locator("h1.article__title")).to_have_text("工具篇：打开兵器库，AI做视频工具集锦")
    page.goto(f"{live_server.url}/")
    expect(page.locator(".column-card", has_text="Sora，从入门到精通")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-import-1280-06-site.png", full_page=True)
