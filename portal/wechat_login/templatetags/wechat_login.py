"""{% wechat_sign_in as wechat %}: what the sign-in and connections pages offer this reader
(choice.WechatOffer: the button, the hint to open the page in WeChat, or nothing)."""

from django import template

from portal.wechat_login.choice import wechat_offer

register = template.Library()


@register.simple_tag(takes_context=True)
def wechat_sign_in(context):
    return wechat_offer(context["request"])
