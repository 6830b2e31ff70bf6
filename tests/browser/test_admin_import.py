"""An editor imports the seed documents in admin: upload, read the dry run, confirm, and find the
articles on the site. Screenshots of each step at a desktop width."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from articles.models import Article, Column
from tests.factories import PASSWORD, make_editor

pytestmark = pytest.mark.browser

SEEDS = sorted((Path(settings.BASE_DIR) / "fixtures" / "seeds").glob("*.txt"))


def test_editor_imports_the_seeds_through_admin(live_server, open_page, screenshot_dir):
    editor = make_editor(email="editor@example.com")
    page = open_page(1280, 900)

    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", editor.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()

    page.goto(f"{live_server.url}/admin/articles/importbatch/")
    page.click("a[href$='/admin/articles/importbatch/add/']")
    page.set_input_files("input[name=files]", [str(path) for path in SEEDS])
    page.screenshot(path=screenshot_dir / "admin-import-1280-01-upload.png", full_page=True)
    page.click("input[type=submit]")

    expect(page.locator(".import-status--previewed")).to_be_visible()
    for path in SEEDS:
        expect(page.locator(".import-file h2", has_text=path.name)).to_be_visible()
    expect(page.get_by_text("工具篇：打开兵器库，AI做视频工具集锦")).to_be_visible()
    expect(page.get_by_text("第 2 章 13 个要点，掌握 Sora 创新能力")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-import-1280-02-dry-run.png", full_page=True)
    assert not Article.objects.exists(), "the dry run wrote articles"

    page.click(".import-confirm input[type=submit]")
    expect(page.locator(".import-status--imported")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-import-1280-03-imported.png", full_page=True)
    assert Column.objects.count() == 5
    assert Article.objects.count() == 15

    page.click("a:has-text('工具篇：打开兵器库，AI做视频工具集锦')")
    expect(page.locator("h1.article__title")).to_have_text("工具篇：打开兵器库，AI做视频工具集锦")
    page.goto(f"{live_server.url}/")
    expect(page.locator(".column-card", has_text="Sora，从入门到精通")).to_be_visible()
    page.screenshot(path=screenshot_dir / "admin-import-1280-04-site.png", full_page=True)
