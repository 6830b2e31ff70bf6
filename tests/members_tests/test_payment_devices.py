"""Where the reader pays from, read off real browsers' User-Agents, and what WeChat Pay offers there:
a QR code on computers only, WeChat's cashier in phone browsers, the payment sheet inside WeChat."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils.translation import gettext

from members.checks import wechat_pay_inside_wechat
from members.payments import Device, device_of, enabled_providers
from members.payments.wechat import WechatPayProvider
from tests.members_tests.test_wechat import merchant_key, platform_certificate, platform_key, wechat_keys  # noqa: F401 (fixtures)

USER_AGENTS = {
    "WeChat on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
        "MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN"
    ),
    "WeChat on Android": (
        "Mozilla/5.0 (Linux; Android 13; V2148A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
        "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F35) "
        "WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
    ),
    "WeChat for Windows": (
        "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI "
        "MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x6309092b) XWEB/9129 Flue"
    ),
    "WeChat for Mac": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MicroMessenger/6.8.0(0x16080000) "
        "MacWechat/3.8.7(0x13080710) Reparser/1.0 NetType/WIFI WindowsWechat(0x63090a13)"
    ),
    "WeCom on Android": (
        "Mozilla/5.0 (Linux; Android 12; PEHM00 Build/SKQ1.210216.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
        "Chrome/97.0.4692.98 Mobile Safari/537.36 wxwork/4.1.16 MicroMessenger/7.0.1 NetType/WIFI Language/zh ColorScheme/Light"
    ),
    "WeCom on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.5359.95 Safari/537.36 "
        "wxwork/4.1.10 (MicroMessenger/6.2) WindowsWechat MailPlugin_Electron WeMail embeddisk"
    ),
    "Safari on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    ),
    "Chrome on Android": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "Huawei browser": (
        "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.13.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 "
        "HuaweiBrowser/14.0.5.302 Mobile Safari/537.36"
    ),
    "Chrome on Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Safari on a Mac": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Edge on Windows": ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"),
    "Firefox on Linux": "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
}
WECHAT_UA = USER_AGENTS["WeChat on iPhone"]
PHONE_UA = USER_AGENTS["Chrome on Android"]
DESKTOP_UA = USER_AGENTS["Chrome on Windows"]
MP_APP_ID = "wx00000000000000a1"

EXPECTED_DEVICES = {
    "WeChat on iPhone": Device.WECHAT,
    "WeChat on Android": Device.WECHAT,
    # WeChat's desktop browser runs JSAPI too.
    "WeChat for Windows": Device.WECHAT,
    "WeChat for Mac": Device.WECHAT,
    # WeCom cannot run WeChat Pay's JSAPI: it is the phone or computer it runs on.
    "WeCom on Android": Device.PHONE,
    "WeCom on Windows": Device.DESKTOP,
    "Safari on iPhone": Device.PHONE,
    "Chrome on Android": Device.PHONE,
    "Huawei browser": Device.PHONE,
    "Chrome on Windows": Device.DESKTOP,
    "Safari on a Mac": Device.DESKTOP,
    "Edge on Windows": Device.DESKTOP,
    "Firefox on Linux": Device.DESKTOP,
}


@pytest.mark.parametrize("browser", list(EXPECTED_DEVICES))
def test_the_device_is_read_off_the_user_agent(browser):
    request = RequestFactory().get("/", headers={"User-Agent": USER_AGENTS[browser]})
    assert device_of(request) == EXPECTED_DEVICES[browser]


def test_a_request_without_a_user_agent_is_a_computer():
    assert device_of(RequestFactory().get("/")) == Device.DESKTOP


@pytest.fixture
def official_account(settings):
    settings.WECHAT_MP_APP_ID = MP_APP_ID
    settings.WECHAT_MP_SECRET = "official-account-secret"


def test_wechat_pay_is_offered_on_every_device_with_its_label(official_account):
    provider = WechatPayProvider()
    assert [provider.offered_on(device) for device in Device] == [True, True, True]
    assert str(provider.label_on(Device.DESKTOP)) == gettext("WeChat Pay (scan a QR code)")
    assert str(provider.label_on(Device.PHONE)) == str(provider.label_on(Device.WECHAT)) == gettext("WeChat Pay")


def test_without_h5_phones_are_not_offered_wechat_pay_rather_than_shown_a_qr_code(settings, official_account):
    settings.WECHAT_PAY_H5 = False
    provider = WechatPayProvider()
    assert not provider.offered_on(Device.PHONE)
    assert provider.offered_on(Device.WECHAT) and provider.offered_on(Device.DESKTOP)
    assert "wechat" not in [each.name for each in enabled_providers(Device.PHONE)]
    assert "wechat" in [each.name for each in enabled_providers(Device.DESKTOP)]


@pytest.mark.parametrize("missing", ["WECHAT_MP_APP_ID", "WECHAT_MP_SECRET"])
def test_inside_wechat_it_takes_an_official_account(settings, official_account, missing):
    setattr(settings, missing, "")
    assert not WechatPayProvider().offered_on(Device.WECHAT)
    assert WechatPayProvider().offered_on(Device.PHONE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user_agent,label",
    [(DESKTOP_UA, "WeChat Pay (scan a QR code)"), (PHONE_UA, "WeChat Pay"), (WECHAT_UA, "WeChat Pay")],
    ids=["desktop", "phone", "wechat"],
)
def test_the_checkout_names_wechat_pay_for_the_device(client, reader, column, official_account, user_agent, label):
    client.force_login(reader)
    response = client.get(reverse("members:checkout", args=[column.plans.get().pk]), headers={"User-Agent": user_agent})
    choices = dict(response.context["form"].fields["provider"].choices)
    assert str(choices["wechat"]) == gettext(label)
    assert 'class="checkout-form__method checkout-form__method--wechat"' in response.content.decode()


def test_going_live_without_a_way_to_pay_inside_wechat_is_warned_about(settings, official_account):
    assert wechat_pay_inside_wechat(None) == []
    settings.WECHAT_MP_SECRET = ""
    assert [warning.id for warning in wechat_pay_inside_wechat(None)] == ["members.W030"]
    settings.WECHAT_PAY_API_V3_KEY = ""
    assert wechat_pay_inside_wechat(None) == [], "nothing to say while WeChat Pay is off"
