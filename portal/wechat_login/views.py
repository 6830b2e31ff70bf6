"""allauth's Weixin views and adapter, choosing the app per request (choice.py) so that the
authorize page, the scope and the code exchange all belong to the app the sign-in started with."""

import json

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.weixin.views import WeixinOAuth2Adapter
from django.http import Http404
from django.shortcuts import render

from portal.wechat_login.accounts import merge_known_account
from portal.wechat_login.choice import app_for_request, wechat_apps, wechat_offer
from portal.wechat_login.client import WechatOAuth2Client


class WechatOAuth2Adapter(WeixinOAuth2Adapter):
    # WeChat documents the code exchange (sns/oauth2/access_token) as a GET with the parameters in the query.
    access_token_method = "GET"  # nosec
    client_class = WechatOAuth2Client

    def get_provider(self):
        app = app_for_request(self.request)
        if app is None:
            return super().get_provider()
        return app.get_provider(self.request)

    @property
    def authorize_url(self):
        return self.get_provider().app.settings["authorize_url"]

    def complete_login(self, request, app, token, **kwargs):
        answer = kwargs.get("response") or {}
        with get_adapter().get_requests_session() as session:
            reply = session.get(self.profile_url, params={"access_token": token.token, "openid": answer.get("openid"), "lang": "zh_CN"})
            reply.raise_for_status()
            try:
                # UTF-8 JSON that WeChat labels text/plain without a charset: read the bytes, not
                # requests' Latin-1 guess at the text (which mangles Chinese nicknames).
                profile = json.loads(reply.content)
            except ValueError as error:
                raise OAuth2Error(f"WeChat userinfo is not JSON: {reply.content[:200]!r}") from error
        if profile.get("errcode") or not profile.get("openid"):
            raise OAuth2Error(f"WeChat userinfo refused: {profile.get('errcode')} {profile.get('errmsg')}")
        # The unionid comes with the token for website apps, and with the userinfo for both.
        profile["unionid"] = profile.get("unionid") or answer.get("unionid")
        profile["appid"] = app.client_id
        sociallogin = app.get_provider(request).sociallogin_from_response(request, profile)
        merge_known_account(sociallogin)
        return sociallogin


class WechatLoginView(OAuth2LoginView):
    """Starts a sign-in through the app that works on this device; where none does, a page says so
    (404 when WeChat sign-in is not configured at all)."""

    def dispatch(self, request, *args, **kwargs):
        offer = wechat_offer(request)
        if offer.app is None:
            status = 200 if offer.configured else 404
            return render(request, "socialaccount/wechat_unavailable.html", {"wechat": offer}, status=status)
        return super().dispatch(request, *args, **kwargs)


class WechatCallbackView(OAuth2CallbackView):
    def dispatch(self, request, *args, **kwargs):
        if not wechat_apps(request):
            raise Http404("WeChat sign-in is not configured")
        return super().dispatch(request, *args, **kwargs)


oauth2_login = WechatLoginView.adapter_view(WechatOAuth2Adapter)
oauth2_callback = WechatCallbackView.adapter_view(WechatOAuth2Adapter)
