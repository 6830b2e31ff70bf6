"""The WeChat apps as allauth reads them from settings.SOCIALACCOUNT_PROVIDERS, and the state
parameter that remembers which app a sign-in started with. Pure: settings.py imports it before
Django is set up.

Each kind of app has its own authorize page and scope: the 公众号's OAuth page opens only inside
WeChat (snsapi_userinfo asks the reader, then gives the nickname and avatar); the website app's
QR page is for computers (snsapi_login). The token and userinfo endpoints are the same for both."""

import secrets

OFFICIAL_ACCOUNT = "official-account"  # 公众号, mp.weixin.qq.com
WEBSITE = "website"  # 开放平台 website app, open.weixin.qq.com
KINDS = (OFFICIAL_ACCOUNT, WEBSITE)

AUTHORIZE_URLS = {
    OFFICIAL_ACCOUNT: "https://open.weixin.qq.com/connect/oauth2/authorize",
    WEBSITE: "https://open.weixin.qq.com/connect/qrconnect",
}
SCOPES = {OFFICIAL_ACCOUNT: "snsapi_userinfo", WEBSITE: "snsapi_login"}
NAMES = {OFFICIAL_ACCOUNT: "WeChat official account", WEBSITE: "WeChat website app"}
# Where both authorize pages live: the forms that start a sign-in redirect there (CSP form-action).
AUTHORIZE_ORIGIN = "https://open.weixin.qq.com"

# allauth's own state ids are 16 random letters and digits; ours lead with the app's kind.
STATE_RANDOM_LENGTH = 16
STATE_SEPARATOR = "."


def provider_apps(*, website: tuple[str, str], official_account: tuple[str, str]) -> list[dict]:
    """allauth's APPS entries for the pairs (app id, secret) whose both halves are set."""
    apps = []
    for kind, (app_id, secret) in ((OFFICIAL_ACCOUNT, official_account), (WEBSITE, website)):
        if app_id and secret:
            apps.append(
                {
                    "name": NAMES[kind],
                    "client_id": app_id,
                    "secret": secret,
                    "settings": {"kind": kind, "authorize_url": AUTHORIZE_URLS[kind], "scope": [SCOPES[kind]]},
                }
            )
    return apps


def new_state_id(kind: str) -> str:
    """A fresh state for a sign-in through the app of this kind. The kind in front tells the
    callback which app's secret exchanges the code; the session still has to know the whole state,
    so a state edited to name another app is refused like any unknown one."""
    return f"{kind}{STATE_SEPARATOR}{secrets.token_hex(STATE_RANDOM_LENGTH // 2)}"


def kind_of_state(state_id: str | None) -> str | None:
    kind, separator, _ = (state_id or "").partition(STATE_SEPARATOR)
    return kind if separator and kind in KINDS else None
