from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WechatLoginConfig(AppConfig):
    name = "portal.wechat_login"
    label = "wechat_login"
    verbose_name = _("Sign-in with WeChat")
