"""The reader's openid for the 公众号, which JSAPI payments need (the payer of a JSAPI order).

A reader who signed in with WeChat already has it: the sign-in keeps, on their allauth
SocialAccount of provider "weixin", `extra_data["openids"] = {appid: openid}`, which
portal.wechat_login.accounts.openid_for reads. Anyone else (signed in by email, or through the
website app, whose openid is for another appid) gets it from a silent authorization just for
paying: WeChat's browser goes to the 公众号's authorize page with scope snsapi_base, which asks the
reader nothing and comes straight back with a code; we exchange the code for the openid
(https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html)
and keep it in the reader's session for that appid, not in the database: it identifies the reader
to WeChat and is needed only while they pay.
"""

import json
import secrets
import urllib.error
import urllib.request
from urllib.parse import urlencode

from django.conf import settings

from portal.wechat_login.accounts import openid_for

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
ACCESS_TOKEN_URL = "https://api.weixin.qq.com/sns/oauth2/access_token"
SESSION_OPENIDS = "wechat-pay:openids"
SESSION_AUTHORIZATION = "wechat-pay:authorization"
TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 100_000


class OpenidError(Exception):
    """WeChat did not give us the reader's openid: a forged or reused return, or WeChat refused the code."""


def openid_of(request, app_id: str) -> str | None:
    """The signed-in reader's openid for this appid: from this session's authorization, or else
    from their WeChat sign-in."""
    kept = request.session.get(SESSION_OPENIDS, {}).get(app_id)
    return kept or openid_for(request.user, app_id)


def authorization_start(request, *, app_id: str, number: str, redirect_uri: str) -> str:
    """Where to send the reader for a silent authorization that comes back to `redirect_uri`. The
    state is random, remembered in the session for this order, and good for one return."""
    state = secrets.token_hex(16)
    request.session[SESSION_AUTHORIZATION] = {"state": state, "number": number, "app_id": app_id}
    # WeChat reads the parameters in exactly this order, and needs the fragment.
    query = urlencode([("appid", app_id), ("redirect_uri", redirect_uri), ("response_type", "code"), ("scope", "snsapi_base"), ("state", state)])
    return f"{AUTHORIZE_URL}?{query}#wechat_redirect"


def authorization_finish(request, *, number: str, code: str, state: str) -> str:
    """The openid behind WeChat's code, once the state proves this session started the
    authorization for this order; kept in the session for the appid."""
    started = request.session.pop(SESSION_AUTHORIZATION, None)
    if not isinstance(started, dict) or started.get("number") != number or not state or not secrets.compare_digest(str(started.get("state", "")), state):
        raise OpenidError("The authorization was not started here for this order, or was already used.")
    if not code:
        raise OpenidError("WeChat sent the reader back without a code.")
    app_id = started["app_id"]
    openid = code_exchange(app_id, code)
    request.session[SESSION_OPENIDS] = {**request.session.get(SESSION_OPENIDS, {}), app_id: openid}
    return openid


def code_exchange(app_id: str, code: str) -> str:
    """Trade the code for the openid with the 公众号's secret (the access token that comes with it
    is of no use to a silent authorization, and is dropped)."""
    query = urlencode({"appid": app_id, "secret": settings.WECHAT_MP_SECRET, "code": code, "grant_type": "authorization_code"})
    answer = oauth_http(f"{ACCESS_TOKEN_URL}?{query}")
    if answer.get("errcode"):
        raise OpenidError(f"WeChat refused the code: {answer.get('errcode')} {str(answer.get('errmsg', ''))[:200]}")
    if answer.get("is_snapshotuser") == 1:
        # A page opened as a snapshot (from Moments) gets a stand-in openid that cannot pay.
        raise OpenidError("WeChat gave a snapshot page's stand-in openid.")
    openid = answer.get("openid")
    if not isinstance(openid, str) or not openid:
        raise OpenidError("WeChat's answer has no openid.")
    return openid


def oauth_http(url: str) -> dict:
    """The one call to WeChat's authorization server; tests replace it. The URL carries the secret,
    so it never goes into an error message."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read(MAX_ANSWER_BYTES))
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        # Only the kind of failure: an error's text may quote the URL, secret and all.
        raise OpenidError(f"WeChat's authorization server could not be reached ({type(error).__name__}).") from None
    except ValueError as error:
        raise OpenidError("WeChat's authorization server answered something that is not JSON.") from error
    if not isinstance(answer, dict):
        raise OpenidError("WeChat's authorization server answered something that is not a JSON object.")
    return answer
