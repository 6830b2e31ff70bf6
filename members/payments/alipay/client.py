"""The wire to Alipay's open platform (开放平台) gateway, in public key mode (公钥模式, RSA2).

Requests are signed with our app's private key (应用私钥): SHA256withRSA over every parameter with a
value, sorted by name and joined as `name=value&…` with the values as they are. Answers and
notifications are verified with Alipay's public key (支付宝公钥) the same way; an answer's signature
covers the exact text of its response object, so that text is cut out of the body as it arrived and
never re-serialized first (Alipay may write `\\/` where json.dumps writes `/`).

`alipay_http` is the one function that touches the network; tests replace it.
"""

import binascii
import json
import re
import urllib.error
import urllib.request
from base64 import b64decode, b64encode
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.utils import timezone

# Alipay reads every time it is sent, and sends every time, as Beijing time without an offset.
ALIPAY_TIME = ZoneInfo("Asia/Shanghai")
SUCCESS_CODE = "10000"
TIMEOUT_SECONDS = 20
# Answers we read are small JSON documents; anything bigger is not Alipay talking to us.
MAX_ANSWER_BYTES = 1_000_000
JSON_SPACE = re.compile(r"[ \t\n\r]*")
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8", "Accept": "application/json", "User-Agent": "zhuanlan-portal alipay"}


class AlipayError(Exception):
    """Alipay could not be reached, refused the request, or answered without a valid signature."""


class AlipayRefused(AlipayError):
    """Alipay answered with a business error (code 40004 and a sub_code such as ACQ.TRADE_NOT_EXIST).
    `verified` says whether Alipay signed it, so only a verified refusal may change an order."""

    def __init__(self, code: str, sub_code: str, message: str, *, verified: bool):
        super().__init__(f"Alipay answered {code} {sub_code}: {message}")
        self.code, self.sub_code, self.verified = code, sub_code, verified


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: bytes


def alipay_time(moment) -> str:
    return moment.astimezone(ALIPAY_TIME).strftime("%Y-%m-%d %H:%M:%S")


def content_to_sign(params: dict, *, leave_out: tuple[str, ...]) -> str:
    """The text both sides sign: parameters with a value, sorted by name, values not URL-encoded."""
    return "&".join(f"{name}={params[name]}" for name in sorted(params) if name not in leave_out and params[name] not in ("", None))


def signed_request(method: str, biz_content: dict, **extra: str) -> dict:
    """The parameters of one call of `method` (alipay.trade.query…), with our signature."""
    params = {
        "app_id": settings.ALIPAY_APP_ID,
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": alipay_time(timezone.now()),
        "version": "1.0",
        "biz_content": json.dumps(biz_content, ensure_ascii=False, separators=(",", ":")),
        **extra,
    }
    signature = app_private_key().sign(content_to_sign(params, leave_out=("sign",)).encode(), padding.PKCS1v15(), hashes.SHA256())
    return {**params, "sign": b64encode(signature).decode()}


def gateway_url(params: dict) -> str:
    """Where the reader's browser goes to pay: the gateway with the signed request in its address."""
    return f"{settings.ALIPAY_GATEWAY}?{urlencode(params)}"


def signature_valid(content: bytes, signature) -> bool:
    if not isinstance(signature, str) or not signature:
        return False
    try:
        alipay_public_key().verify(b64decode(signature, validate=True), content, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def api_call(method: str, biz_content: dict) -> dict:
    """One signed call whose answer must carry Alipay's signature. Returns the response object of a
    successful answer (code 10000); a refusal raises AlipayRefused, anything unsigned AlipayError."""
    body = urlencode(signed_request(method, biz_content)).encode()
    answer = alipay_http(urllib.request.Request(f"{settings.ALIPAY_GATEWAY}?charset=utf-8", data=body, method="POST", headers=FORM_HEADERS))
    if answer.status != 200:
        raise AlipayError(f"{method}: Alipay answered HTTP {answer.status}.")
    try:
        members = top_level_members(answer.body.decode("utf-8"))
        raw = members.get(method.replace(".", "_") + "_response") or members.get("error_response")
        if raw is None:
            raise ValueError("no response object")
        signature = json.loads(members["sign"]) if "sign" in members else None
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise AlipayError(f"{method}: the answer is not Alipay's JSON ({error}).") from error
    if not isinstance(data, dict):
        raise AlipayError(f"{method}: the response is not a JSON object.")
    verified = signature_valid(raw.encode(), signature)
    if str(data.get("code")) != SUCCESS_CODE:
        raise AlipayRefused(str(data.get("code", "")), str(data.get("sub_code", "")), str(data.get("sub_msg") or data.get("msg", ""))[:300], verified=verified)
    if not verified:
        raise AlipayError(f"{method}: the answer is not signed by Alipay.")
    return data


def alipay_http(request: urllib.request.Request) -> ApiAnswer:
    """The one call to Alipay's network; tests replace it."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return ApiAnswer(response.status, response.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as error:
        with error:
            return ApiAnswer(error.code, error.read(MAX_ANSWER_BYTES))
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise AlipayError(f"{urlsplit(request.full_url).netloc}: {error}") from error


def top_level_members(text: str) -> dict[str, str]:
    """Each member of a JSON object as its exact text, e.g. '{"a_response":{…},"sign":"…"}' →
    {"a_response": '{…}', "sign": '"…"'}. json's own decoder finds where each value ends, so braces
    inside strings cannot mislead it; a name given twice is refused as ambiguous."""
    decoder, members = json.JSONDecoder(), {}
    position = JSON_SPACE.match(text, 0).end()
    if text[position : position + 1] != "{":
        raise ValueError("not a JSON object")
    position = JSON_SPACE.match(text, position + 1).end()
    closed = text[position : position + 1] == "}"
    while not closed:
        name, position = decoder.raw_decode(text, position)
        position = JSON_SPACE.match(text, position).end()
        if not isinstance(name, str) or name in members or text[position : position + 1] != ":":
            raise ValueError("a malformed or repeated member")
        start = JSON_SPACE.match(text, position + 1).end()
        end = decoder.raw_decode(text, start)[1]
        members[name] = text[start:end]
        position = JSON_SPACE.match(text, end).end()
        separator = text[position : position + 1]
        if separator not in (",", "}"):
            raise ValueError("members not separated by commas")
        closed = separator == "}"
        position = JSON_SPACE.match(text, position + 1).end()
    if position != len(text):
        raise ValueError("text after the object")
    return members


# Keys, as PEM files or as the bare base64 that Alipay's key tool (支付宝开放平台密钥工具) writes.


def app_private_key() -> rsa.RSAPrivateKey:
    return private_key_from(settings.ALIPAY_PRIVATE_KEY_PATH)


def alipay_public_key() -> rsa.RSAPublicKey:
    return public_key_from(settings.ALIPAY_PUBLIC_KEY_PATH)


@lru_cache(maxsize=4)
def private_key_from(path: str) -> rsa.RSAPrivateKey:
    data = key_file(path)
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(b64decode(b"".join(data.split()), validate=True), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm, binascii.Error) as error:
        raise ValueError(f"{path} does not hold an unencrypted private key ({error}).") from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} holds a private key, but not an RSA one.")
    return key


@lru_cache(maxsize=4)
def public_key_from(path: str) -> rsa.RSAPublicKey:
    data = key_file(path)
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(b64decode(b"".join(data.split()), validate=True))
    except (ValueError, UnsupportedAlgorithm, binascii.Error) as error:
        raise ValueError(f"{path} does not hold a public key ({error}).") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"{path} holds a public key, but not an RSA one.")
    return key


def key_file(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read().strip()
