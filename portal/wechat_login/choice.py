"""Which WeChat app serves a request: on a callback the one the sign-in started with (its kind
leads the state), otherwise the one that works on the reader's device. Inside WeChat only the
公众号's OAuth page opens; on a computer the website app's QR code is scanned with a phone; in a
phone's own browser neither works (the QR code would be on the phone that has to scan it). Where
the device's app is missing but a 公众号 is configured, the reader is asked to open the page in
WeChat."""

from dataclasses import dataclass

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp

from members.payments.devices import Device, device_of
from portal.wechat_login.configuration import OFFICIAL_ACCOUNT, WEBSITE, kind_of_state

PROVIDER_ID = "weixin"
KIND_ON_DEVICE = {Device.WECHAT: OFFICIAL_ACCOUNT, Device.DESKTOP: WEBSITE}


@dataclass(frozen=True)
class WechatOffer:
    """What the sign-in pages show this reader: the button (app is set), a hint to open the page in
    WeChat, or nothing (configured is False: WeChat sign-in is absent)."""

    app: SocialApp | None
    configured: bool
    open_in_wechat: bool


def wechat_apps(request) -> list[SocialApp]:
    return get_adapter(request).list_apps(request, provider=PROVIDER_ID)


def app_of_kind(apps: list[SocialApp], kind: str | None) -> SocialApp | None:
    return next((app for app in apps if kind and app.settings.get("kind") == kind), None)


def app_for_request(request, apps: list[SocialApp] | None = None) -> SocialApp | None:
    if request is None:
        return None
    apps = wechat_apps(request) if apps is None else apps
    started_with = app_of_kind(apps, kind_of_state(request.GET.get("state")))
    return started_with or app_of_kind(apps, KIND_ON_DEVICE.get(device_of(request)))


def wechat_offer(request) -> WechatOffer:
    apps, device = wechat_apps(request), device_of(request)
    app = app_of_kind(apps, KIND_ON_DEVICE.get(device))
    open_in_wechat = app is None and device != Device.WECHAT and app_of_kind(apps, OFFICIAL_ACCOUNT) is not None
    return WechatOffer(app=app, configured=bool(apps), open_in_wechat=open_in_wechat)
