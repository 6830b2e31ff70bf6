"""The sign-in page with WeChat configured, in Chromium: on a computer and inside WeChat's browser
(its User-Agent at a phone's width), the green WeChat button under the email form, and pressing it
reaches WeChat's authorize page for that device (answered here by the test; nothing leaves).
Screenshots: artifacts/screenshots/wechat-login-*.png."""

import pytest
from playwright.sync_api import expect

from portal.wechat_login.configuration import AUTHORIZE_ORIGIN, provider_apps
from tests.browser.test_reader_journey import horizontal_overflow

pytestmark = pytest.mark.browser

WEBSITE_APP_ID, MP_APP_ID = "wx0a1b2c3d4e5f6a7b", "wx9f8e7d6c5b4a3f2e"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
IN_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN"
)
WECHAT_GREEN = "rgb(7, 193, 96)"


@pytest.fixture
def wechat_sign_in(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"weixin": {"APPS": provider_apps(website=(WEBSITE_APP_ID, "s1"), official_account=(MP_APP_ID, "s2"))}}
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {**directives, "form-action": [*directives["form-action"], AUTHORIZE_ORIGIN]},
    }


@pytest.mark.parametrize(
    ("name", "width", "user_agent", "authorize_path", "app_id"),
    [
        ("desktop", 1280, CHROME, "/connect/qrconnect", WEBSITE_APP_ID),
        ("in-wechat", 390, IN_WECHAT, "/connect/oauth2/authorize", MP_APP_ID),
    ],
)
def test_the_wechat_button_leads_to_the_authorize_page_for_the_device(
    wechat_sign_in, live_server, browser, screenshot_dir, name, width, user_agent, authorize_path, app_id
):
    context = browser.new_context(viewport={"width": width, "height": 844}, device_scale_factor=1, locale="zh-CN", user_agent=user_agent)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        reached = []
        page.route(f"{AUTHORIZE_ORIGIN}/**", lambda route: (reached.append(route.request.url), route.fulfill(body="WeChat", content_type="text/plain")))
        page.goto(live_server.url + "/accounts/login/?next=/")
        button = page.locator(".wechat-sign-in__button")
        expect(button).to_be_visible()
        assert button.evaluate("element => getComputedStyle(element).backgroundColor") == WECHAT_GREEN
        overflow = horizontal_overflow(page)
        assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow["culprits"]
        page.screenshot(path=screenshot_dir / f"wechat-login-{name}-{width}.png", full_page=True)

        button.click()
        expect(page.get_by_text("WeChat", exact=True)).to_be_visible()
        assert reached, "the button did not reach WeChat"
        assert reached[0].startswith(f"{AUTHORIZE_ORIGIN}{authorize_path}?appid={app_id}&")
    finally:
        context.close()
