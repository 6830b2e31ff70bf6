"""allauth's Weixin client, with the ending WeChat's authorize pages expect."""

from allauth.socialaccount.providers.weixin.client import WeixinOAuth2Client


class WechatOAuth2Client(WeixinOAuth2Client):
    def get_redirect_url(self, authorization_url, scope, extra_params):
        """WeChat checks the authorize link strictly: the parameters in its documented order
        (appid, redirect_uri, response_type, scope, state, which is the alphabetical order the
        parent writes them in) and "#wechat_redirect" at the end; the 公众号's page refuses a link
        without it on some WeChat versions."""
        return super().get_redirect_url(authorization_url, scope, extra_params) + "#wechat_redirect"
