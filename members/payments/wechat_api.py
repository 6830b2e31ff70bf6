"""The wire to WeChat Pay's API v3: requests signed with the merchant key, and one function,
`wechat_http`, that touches the network (tests replace it).

Whether an answer really came from WeChat Pay is checked by the callers with
`wechat_certificates.response_verify`: ordinary calls trust only the platform keys we hold, while
the certificate download has to check its answer with the certificates it carries.
"""

import secrets
import time
import urllib.error
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

API_BASE = "https://api.mch.weixin.qq.com"
TIMEOUT_SECONDS = 20
# Answers we read are small JSON documents; anything bigger is not WeChat Pay talking to us.
MAX_ANSWER_BYTES = 1_000_000


class WechatPayError(Exception):
    """WeChat Pay could not be reached, refused the request, or answered without a valid signature."""


@dataclass(frozen=True)
class ApiAnswer:
    """One HTTP answer as it arrived. Header names are lower-case."""

    status: int
    headers: dict
    body: bytes


def exchange(method: str, path: str, body: str = "") -> ApiAnswer:
    """Send one signed request; `path` includes any query string, as the signature covers it."""
    headers = {
        "Authorization": authorization(method, path, body),
        "Accept": "application/json",
        # WeChat Pay refuses requests without a User-Agent.
        "User-Agent": "zhuanlan-portal wechatpay-apiv3",
    }
    if body:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(API_BASE + path, data=body.encode() if body else None, headers=headers, method=method)
    return wechat_http(request)


def wechat_http(request: urllib.request.Request) -> ApiAnswer:
    """The one call to WeChat Pay's network; tests replace it. Error statuses are answers too:
    WeChat Pay explains them in a signed JSON body (`{"code": "ORDER_NOT_EXIST", ...}`)."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return ApiAnswer(response.status, lower_case(response.headers), response.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as error:
        with error:
            return ApiAnswer(error.code, lower_case(error.headers), error.read(MAX_ANSWER_BYTES))
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise WechatPayError(f"{request.get_method()} {urlsplit(request.full_url).path}: {error}") from error


def lower_case(headers) -> dict:
    return {name.lower(): value for name, value in headers.items()} if headers else {}


def authorization(method: str, path: str, body: str) -> str:
    """The WECHATPAY2-SHA256-RSA2048 header: the merchant key signs method, path, time, nonce, body."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    signature = merchant_sign(f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n")
    return (
        f'WECHATPAY2-SHA256-RSA2048 mchid="{settings.WECHAT_PAY_MCH_ID}",nonce_str="{nonce}",'
        f'signature="{signature}",timestamp="{timestamp}",serial_no="{settings.WECHAT_PAY_SERIAL_NO}"'
    )


def merchant_sign(message: str) -> str:
    """SHA256-RSA with the merchant key, base64: how WeChat Pay knows a request, or the parameters
    a page hands to WeChat's JSAPI, came from us."""
    return b64encode(merchant_private_key().sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def merchant_private_key():
    return load_private_key(settings.WECHAT_PAY_PRIVATE_KEY_PATH)


@lru_cache(maxsize=4)
def load_private_key(path: str):
    with open(path, "rb") as file:
        return serialization.load_pem_private_key(file.read(), password=None)
