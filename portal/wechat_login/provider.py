"""The provider registered under allauth's id "weixin" (see this package's docstring)."""

from allauth.socialaccount.providers.weixin.provider import WeixinAccount, WeixinProvider
from django.utils.translation import gettext_lazy as _

from portal.wechat_login.configuration import new_state_id
from portal.wechat_login.views import WechatOAuth2Adapter

# What is kept of WeChat's userinfo: enough to know the reader again and to show them which WeChat
# account is connected. Sex, province, city, country and privileges are not kept.
KEPT_FIELDS = ("openid", "unionid", "nickname", "headimgurl")


class WechatProvider(WeixinProvider):
    name = _("WeChat")
    account_class = WeixinAccount
    oauth2_adapter_class = WechatOAuth2Adapter

    def extract_uid(self, data):
        """The unionid when WeChat gives one: the same for the reader in every app of one 开放平台
        account, so signing in inside WeChat and on a computer reaches one account. An openid
        belongs to one app only."""
        return data.get("unionid") or data["openid"]

    def extract_extra_data(self, data):
        """The userinfo fields kept, and `openids`: {app id: openid}, this app's for now
        (accounts.merge_known_account adds the others'). WeChat Pay's JSAPI needs the openid of the
        app it pays through (accounts.openid_for)."""
        kept = {field: data[field] for field in KEPT_FIELDS if data.get(field)}
        kept["openids"] = {data["appid"]: data["openid"]}
        return kept

    def extract_common_fields(self, data):
        """The nickname names the account (user_display); WeChat gives no email address."""
        return {"first_name": (data.get("nickname") or "").strip()[:150]}

    def stash_redirect_state(self, request, process, next_url=None, data=None, state_id=None, **kwargs):
        """allauth keeps the state in the session as always; its id names this app's kind, so the
        callback exchanges the code with this app's secret (choice.app_for_request)."""
        return super().stash_redirect_state(request, process, next_url, data, state_id=state_id or new_state_id(self.app.settings["kind"]), **kwargs)


provider_classes = [WechatProvider]
