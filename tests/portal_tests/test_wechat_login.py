"""Sign-in with WeChat (portal/wechat_login): the app chosen by device, one account per unionid,
openids kept for WeChat Pay, linking with email accounts. WeChat's two endpoints answer from
recordings (responses, on the requests session allauth's adapter hands out): nothing leaves."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext
from responses import matchers

from members.models import Membership
from portal.account_adapter import user_display
from portal.wechat_login.accounts import openid_for
from portal.wechat_login.configuration import provider_apps
from tests.factories import PASSWORD, make_article, make_column, make_membership, make_user
from tests.portal_tests.test_security_headers import production_settings

pytestmark = pytest.mark.django_db

WEBSITE_APP_ID, WEBSITE_SECRET = "wx0a1b2c3d4e5f6a7b", "website-secret"
MP_APP_ID, MP_SECRET = "wx9f8e7d6c5b4a3f2e", "official-account-secret"
UNIONID = "o6_bmasdasdsad6_2sgVt7hMZOPfL"
WEBSITE_OPENID = "oWeb_Xq1sF2h3J4k5L6z7X8c9V0bN"
MP_OPENID = "oMp_Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii"
NICKNAME = "读书的猫"

DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
IN_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN"
)

TOKEN_URL = "https://api.weixin.qq.com/sns/oauth2/access_token"
USERINFO_URL = "https://api.weixin.qq.com/sns/userinfo"
CALLBACK = "http://testserver/accounts/weixin/login/callback/"


@pytest.fixture
def both_apps(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"weixin": {"APPS": provider_apps(website=(WEBSITE_APP_ID, WEBSITE_SECRET), official_account=(MP_APP_ID, MP_SECRET))}}


@pytest.fixture
def official_account_only(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"weixin": {"APPS": provider_apps(website=("", ""), official_account=(MP_APP_ID, MP_SECRET))}}


@pytest.fixture
def no_apps(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"weixin": {"APPS": provider_apps(website=("", ""), official_account=("", ""))}}


def token_answer(openid, *, unionid=UNIONID, scope="snsapi_login"):
    """sns/oauth2/access_token's answer as WeChat sends it (the unionid only for bound apps)."""
    answer = {"access_token": f"TOKEN-{openid}", "expires_in": 7200, "refresh_token": "REFRESH", "openid": openid, "scope": scope}
    if unionid:
        answer["unionid"] = unionid
    return answer


def userinfo_answer(openid, *, unionid=UNIONID, nickname=NICKNAME):
    """sns/userinfo's answer: UTF-8 JSON labelled text/plain, with more than the portal keeps."""
    answer = {
        "openid": openid,
        "nickname": nickname,
        "sex": 1,
        "province": "浙江",
        "city": "杭州",
        "country": "中国",
        "headimgurl": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132",
        "privilege": [],
    }
    if unionid:
        answer["unionid"] = unionid
    return answer


def start(client, user_agent, *, process="login", next_url=None):
    """Press the WeChat button; returns WeChat's authorize link, taken apart."""
    data = {"process": process, **({"next": next_url} if next_url else {})}
    response = client.post(reverse("weixin_login"), data, headers={"user-agent": user_agent})
    assert response.status_code == 302, response.content[:500]
    link = urlsplit(response["Location"])
    query = {name: values[0] for name, values in parse_qs(link.query).items()}
    return {"url": f"{link.scheme}://{link.netloc}{link.path}", "fragment": link.fragment, "raw_query": link.query, **query}


def come_back(client, user_agent, state, *, app_id, secret, openid, unionid=UNIONID, nickname=NICKNAME, code="CODE-1"):
    """WeChat's redirect to the callback, with WeChat's two answers recorded. Both requests must
    match exactly (the app's id and secret, the code, the token and openid), or responses refuses them."""
    with responses.RequestsMock() as recorded:
        recorded.get(
            TOKEN_URL,
            match=[matchers.query_param_matcher({"appid": app_id, "secret": secret, "code": code, "grant_type": "authorization_code"})],
            json=token_answer(openid, unionid=unionid),
        )
        recorded.get(
            USERINFO_URL,
            match=[matchers.query_param_matcher({"access_token": f"TOKEN-{openid}", "openid": openid, "lang": "zh_CN"})],
            body=json.dumps(userinfo_answer(openid, unionid=unionid, nickname=nickname), ensure_ascii=False).encode(),
            content_type="text/plain",
        )
        return client.get(reverse("weixin_callback"), {"code": code, "state": state}, headers={"user-agent": user_agent})


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def sign_in(client, user_agent, *, app_id, secret, openid, unionid=UNIONID, next_url=None):
    link = start(client, user_agent, next_url=next_url)
    return come_back(client, user_agent, link["state"], app_id=app_id, secret=secret, openid=openid, unionid=unionid)


def test_desktop_qr_sign_in_creates_an_account_keyed_by_the_unionid_and_returns_to_the_article(both_apps, client):
    article = make_article(make_column())
    next_url = article.get_absolute_url()
    response = sign_in(client, DESKTOP, app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID, next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == next_url
    user = signed_in_user(client)
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("weixin", UNIONID)
    assert account.extra_data["openids"] == {WEBSITE_APP_ID: WEBSITE_OPENID}
    assert account.extra_data["nickname"] == NICKNAME
    # Only what is needed to know the reader again and show the account: no sex, city or country.
    assert set(account.extra_data) == {"openid", "unionid", "nickname", "headimgurl", "openids"}
    assert user.email == "" and not user.has_usable_password()
    assert user_display(user) == NICKNAME
    assert mail.outbox == []  # no email asked for, none sent


def test_the_same_unionid_inside_wechat_signs_into_the_same_account_and_keeps_both_openids(both_apps, client):
    sign_in(client, DESKTOP, app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    first = signed_in_user(client)
    client.logout()
    response = sign_in(client, IN_WECHAT, app_id=MP_APP_ID, secret=MP_SECRET, openid=MP_OPENID)
    assert response.status_code == 302
    assert signed_in_user(client) == first
    assert get_user_model().objects.count() == 1
    account = SocialAccount.objects.get()
    assert account.uid == UNIONID
    assert account.extra_data["openids"] == {WEBSITE_APP_ID: WEBSITE_OPENID, MP_APP_ID: MP_OPENID}
    # Signing in on the computer again keeps the 公众号's openid that WeChat Pay needs.
    client.logout()
    sign_in(client, DESKTOP, app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    assert SocialAccount.objects.get().extra_data["openids"] == {WEBSITE_APP_ID: WEBSITE_OPENID, MP_APP_ID: MP_OPENID}


def test_the_openid_contract_for_wechat_pay(both_apps, client):
    sign_in(client, IN_WECHAT, app_id=MP_APP_ID, secret=MP_SECRET, openid=MP_OPENID)
    user = signed_in_user(client)
    account = SocialAccount.objects.get(user=user, provider="weixin")
    assert account.extra_data["openids"][MP_APP_ID] == MP_OPENID
    assert openid_for(user, MP_APP_ID) == MP_OPENID
    assert openid_for(user, WEBSITE_APP_ID) is None
    assert openid_for(make_user(), MP_APP_ID) is None


def test_an_official_account_without_unionid_signs_in_by_openid(official_account_only, client):
    response = sign_in(client, IN_WECHAT, app_id=MP_APP_ID, secret=MP_SECRET, openid=MP_OPENID, unionid=None)
    assert response.status_code == 302
    user = signed_in_user(client)
    assert SocialAccount.objects.get(user=user).uid == MP_OPENID
    client.logout()
    sign_in(client, IN_WECHAT, app_id=MP_APP_ID, secret=MP_SECRET, openid=MP_OPENID, unionid=None)
    assert signed_in_user(client) == user
    assert SocialAccount.objects.count() == 1


def test_an_account_known_by_openid_takes_the_unionid_once_wechat_gives_it(both_apps, client):
    """The 公众号 bound to a 开放平台 account later: its readers keep their accounts."""
    sign_in(client, IN_WECHAT, app_id=MP_APP_ID, secret=MP_SECRET, openid=MP_OPENID, unionid=None)
    user = signed_in_user(client)
    client.logout()
    sign_in(client, IN_WECHAT, app_id=MP_APP_ID, secret=MP_SECRET, openid=MP_OPENID)
    assert signed_in_user(client) == user
    assert SocialAccount.objects.get().uid == UNIONID
    client.logout()
    sign_in(client, DESKTOP, app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    assert signed_in_user(client) == user
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    ("user_agent", "authorize_url", "app_id", "scope"),
    [
        (DESKTOP, "https://open.weixin.qq.com/connect/qrconnect", WEBSITE_APP_ID, "snsapi_login"),
        (IN_WECHAT, "https://open.weixin.qq.com/connect/oauth2/authorize", MP_APP_ID, "snsapi_userinfo"),
    ],
)
def test_the_device_picks_the_authorize_page_and_the_app(both_apps, client, user_agent, authorize_url, app_id, scope):
    link = start(client, user_agent)
    assert link["url"] == authorize_url
    assert (link["appid"], link["scope"], link["response_type"], link["redirect_uri"]) == (app_id, scope, "code", CALLBACK)
    # WeChat matches the link strictly: parameters in its order, and the #wechat_redirect ending.
    assert re.fullmatch(r"appid=[^&]+&redirect_uri=[^&]+&response_type=code&scope=[^&]+&state=[^&]+", link["raw_query"])
    assert link["fragment"] == "wechat_redirect"


def test_a_phone_browser_is_asked_to_open_the_page_in_wechat(both_apps, client):
    response = client.post(reverse("weixin_login"), headers={"user-agent": PHONE})
    assert response.status_code == 200
    assert gettext("To sign in with WeChat, open this page in WeChat.") in response.content.decode()
    login_page = client.get(reverse("account_login"), headers={"user-agent": PHONE}).content.decode()
    assert reverse("weixin_login") not in login_page
    assert gettext("To sign in with WeChat, open this page in WeChat.") in login_page


def test_the_callback_exchanges_the_code_with_the_app_the_sign_in_started_with(both_apps, client):
    """Started on a computer (the website app), the callback arrives in WeChat's browser: the
    website app's id and secret still exchange the code (the recording refuses any other)."""
    link = start(client, DESKTOP)
    response = come_back(client, IN_WECHAT, link["state"], app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    assert response.status_code == 302
    assert SocialAccount.objects.get().extra_data["openids"] == {WEBSITE_APP_ID: WEBSITE_OPENID}


@pytest.mark.parametrize("forge", ["unknown", "other app", "missing"])
def test_a_callback_with_a_bad_state_is_refused_without_asking_wechat(both_apps, client, forge):
    link = start(client, DESKTOP)
    state = {
        "unknown": "website.0000000000000000",
        "other app": link["state"].replace("website.", "official-account."),
        "missing": "",
    }[forge]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as recorded:
        response = client.get(reverse("weixin_callback"), {"code": "CODE-1", "state": state}, headers={"user-agent": DESKTOP})
        assert len(recorded.calls) == 0
    assert response.status_code == 401
    assert not SocialAccount.objects.exists()
    assert signed_in_user(client) is None


def test_a_state_is_good_for_one_callback_only(both_apps, client):
    link = start(client, DESKTOP)
    come_back(client, DESKTOP, link["state"], app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    client.logout()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as recorded:
        again = client.get(reverse("weixin_callback"), {"code": "CODE-1", "state": link["state"]}, headers={"user-agent": DESKTOP})
        assert len(recorded.calls) == 0
    assert again.status_code == 401
    assert signed_in_user(client) is None


def test_an_error_from_wechat_signs_nobody_in(both_apps, client):
    link = start(client, DESKTOP)
    with responses.RequestsMock() as recorded:
        recorded.get(TOKEN_URL, json={"errcode": 40029, "errmsg": "invalid code"})
        response = client.get(reverse("weixin_callback"), {"code": "stale", "state": link["state"]}, headers={"user-agent": DESKTOP})
    assert response.status_code == 401
    assert not get_user_model().objects.exists()


def test_an_email_reader_connects_wechat_and_keeps_their_memberships(both_apps, client):
    user = make_user(email="member@example.com")
    column = make_column()
    make_membership(user, column, days=365)
    client.force_login(user)
    link = start(client, DESKTOP, process="connect")
    response = come_back(client, DESKTOP, link["state"], app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    assert response.status_code == 302
    assert response["Location"] == reverse("socialaccount_connections")
    assert SocialAccount.objects.get(uid=UNIONID).user == user
    # Then WeChat alone reaches the same account, memberships and all.
    client.logout()
    sign_in(client, IN_WECHAT, app_id=MP_APP_ID, secret=MP_SECRET, openid=MP_OPENID)
    assert signed_in_user(client) == user
    assert Membership.objects.get(column=column).user == user
    assert get_user_model().objects.count() == 1


def test_a_wechat_identity_of_another_account_is_refused_and_nothing_moves(both_apps, client):
    sign_in(client, DESKTOP, app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    wechat_reader = signed_in_user(client)
    make_membership(wechat_reader, make_column(), days=365)
    client.logout()
    email_reader = make_user(email="member@example.com")
    client.force_login(email_reader)
    link = start(client, DESKTOP, process="connect")
    response = come_back(client, DESKTOP, link["state"], app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    assert response.status_code == 302
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert gettext("The third-party account is already connected to a different account.") in messages
    assert SocialAccount.objects.get().user == wechat_reader
    assert list(Membership.objects.values_list("user", flat=True)) == [wechat_reader.pk]
    assert signed_in_user(client) == email_reader


def test_a_wechat_reader_adds_an_email_and_a_password_and_signs_in_either_way(both_apps, client):
    sign_in(client, DESKTOP, app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    user = signed_in_user(client)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "reader@example.com"})
    assert response.status_code == 302
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", mail.outbox[-1].body, re.MULTILINE).group(1)
    client.post(response["Location"], {"code": code})
    assert EmailAddress.objects.get(user=user, email="reader@example.com").verified
    response = client.post(reverse("account_set_password"), {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    client.logout()
    client.post(reverse("account_login"), {"login": "reader@example.com", "password": PASSWORD})
    assert signed_in_user(client) == user
    client.logout()
    sign_in(client, DESKTOP, app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    assert signed_in_user(client) == user


@pytest.mark.parametrize("page", ["account_login", "account_signup"])
def test_the_sign_in_pages_show_the_wechat_button_where_it_works(both_apps, client, page):
    html = client.get(reverse(page) + "?next=/x/", headers={"user-agent": DESKTOP}).content.decode()
    assert f'action="{reverse("weixin_login")}"' in html
    assert 'name="next" value="/x/"' in html
    assert gettext("Sign in with WeChat") in html


def test_inside_wechat_without_an_official_account_there_is_no_button(settings, client):
    settings.SOCIALACCOUNT_PROVIDERS = {"weixin": {"APPS": provider_apps(website=(WEBSITE_APP_ID, WEBSITE_SECRET), official_account=("", ""))}}
    html = client.get(reverse("account_login"), headers={"user-agent": IN_WECHAT}).content.decode()
    assert reverse("weixin_login") not in html
    assert client.get(reverse("account_login"), headers={"user-agent": DESKTOP}).content.decode().count(reverse("weixin_login")) == 1


def test_without_settings_there_is_no_wechat_sign_in(no_apps, client):
    html = client.get(reverse("account_login"), headers={"user-agent": DESKTOP}).content.decode()
    assert reverse("weixin_login") not in html
    assert gettext("To sign in with WeChat, open this page in WeChat.") not in html
    assert client.post(reverse("weixin_login"), headers={"user-agent": DESKTOP}).status_code == 404
    assert client.get(reverse("weixin_callback"), {"code": "c", "state": "website.x"}).status_code == 404


def test_the_connections_page_offers_wechat_to_an_email_reader(both_apps, client):
    client.force_login(make_user())
    html = client.get(reverse("socialaccount_connections"), headers={"user-agent": DESKTOP}).content.decode()
    assert 'name="process" value="connect"' in html
    assert gettext("Connect WeChat") in html


def test_a_connected_wechat_reader_is_not_offered_a_second_one_nor_left_without_a_way_in(both_apps, client):
    sign_in(client, DESKTOP, app_id=WEBSITE_APP_ID, secret=WEBSITE_SECRET, openid=WEBSITE_OPENID)
    html = client.get(reverse("socialaccount_connections"), headers={"user-agent": DESKTOP}).content.decode()
    assert NICKNAME in html
    assert 'name="process" value="connect"' not in html
    # Without a password or an email, removing WeChat would lock the reader out.
    response = client.post(reverse("socialaccount_connections"), {"account": SocialAccount.objects.get().pk})
    assert response.status_code == 200
    assert gettext("Your account has no password set up.") in response.content.decode()
    assert SocialAccount.objects.exists()


def test_forms_may_hand_over_to_wechat_only_when_wechat_sign_in_is_configured():
    without = production_settings()["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"]
    assert "https://open.weixin.qq.com" not in without
    with_login = production_settings(DJANGO_WECHAT_LOGIN_APP_ID=WEBSITE_APP_ID, DJANGO_WECHAT_LOGIN_SECRET=WEBSITE_SECRET)
    assert with_login["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"].count("https://open.weixin.qq.com") == 1
    # An id without its secret configures nothing.
    half = production_settings(DJANGO_WECHAT_LOGIN_APP_ID=WEBSITE_APP_ID)
    assert "https://open.weixin.qq.com" not in half["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"]
