"""Debian's Chromium driven by Playwright's sync API against pytest-django's live server.

One browser serves every test in this package; each test gets a fresh context (no cookies,
no cache) at the viewport it asks for, in Simplified Chinese.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="package")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in the main thread for as long as it is
    # started, and Django then refuses ORM calls there (SynchronousOnlyOperation) from the test code
    # and from the database fixtures. Nothing here is async, so allow it, but only while Playwright
    # runs: package scope stops it (and restores the variable) before the rest of the suite.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser):
    """open_page(width, height) -> a page in a fresh browser context of that viewport."""
    contexts = []

    def open_page(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    directory = Path(os.environ.get("SCREENSHOT_DIR") or REPO_ROOT / "artifacts" / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
