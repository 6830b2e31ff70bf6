"""Where the reader is paying from, read off the User-Agent: inside WeChat's own browser, in a
phone's browser, or on a computer. Providers use it to pay the way that device can: inside WeChat,
WeChat Pay opens in the page (JSAPI) and Alipay cannot open at all; on a phone, nobody is shown a
QR code to scan with the phone that shows it; on a computer, a QR code or the provider's page."""

import re
from enum import StrEnum


class Device(StrEnum):
    WECHAT = "wechat"  # WeChat's in-app browser, on a phone or in WeChat for Windows/Mac
    PHONE = "phone"  # any other browser on a phone or tablet
    DESKTOP = "desktop"


# WeChat's browser says "MicroMessenger/<version>"; WeCom (企业微信) says "wxwork" beside it and
# cannot run WeChat Pay's JSAPI, so it counts as the phone or computer it runs on.
WECHAT = re.compile(r"MicroMessenger/", re.IGNORECASE)
WECOM = re.compile(r"wxwork/", re.IGNORECASE)
# Phones and tablets as browsers name them; iPadOS Safari asks for desktop pages and says
# "Macintosh", so an iPad there is a computer (it can scan a code with another device, or not).
PHONE = re.compile(r"Mobile|Android|iPhone|iPod|iPad|HarmonyOS|Windows Phone|Opera Mini", re.IGNORECASE)


def device_of(request) -> Device:
    user_agent = request.headers.get("User-Agent", "")[:512]
    if WECHAT.search(user_agent) and not WECOM.search(user_agent):
        return Device.WECHAT
    if PHONE.search(user_agent):
        return Device.PHONE
    return Device.DESKTOP
