"""WeChat Pay's platform keys: which ones we trust, where every web node finds them, and how a
signature by one of them is checked (https://pay.weixin.qq.com/doc/v3/merchant/4012365342).

Keys come from two places:
- the configured file (DJANGO_WECHAT_PAY_PLATFORM_CERT_PATH): one or more platform certificates,
  or WeChat's newer platform public key, named by DJANGO_WECHAT_PAY_PLATFORM_SERIAL (PUB_KEY_ID_…);
- certificates downloaded from GET /v3/certificates, kept in the shared cache and, when
  DJANGO_WECHAT_PAY_PLATFORM_CERT_DIR is set, as files there (they survive a cache flush and a
  restart). They are fetched by the `wechat_pay_certificates` command and again whenever a
  signature names a serial we do not know, at most once a minute so a forged serial cannot make
  us hammer WeChat Pay.
"""

import binascii
import json
import logging
import time
from base64 import b64decode
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.cache import cache

from members.payments import wechat_api
from members.payments.wechat_api import WechatPayError

logger = logging.getLogger(__name__)

CERTIFICATES_PATH = "/v3/certificates"
SIGNATURE_TOLERANCE_SECONDS = 300
# WeChat Pay sends deliberately wrong signatures starting with this to check that we verify.
SIGNATURE_PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
CACHE_KEY = "wechat-pay:platform-certificates"
CACHE_SECONDS = 30 * 24 * 60 * 60
REFRESH_KEY = "wechat-pay:platform-certificates:refreshed"
REFRESH_INTERVAL_SECONDS = 60
FILE_PREFIX = "wechatpay_"
PUBLIC_KEY_ID_PREFIX = "PUB_KEY_ID_"


class SignatureError(Exception):
    """A message that WeChat Pay did not sign, signed too long ago, or signed with a key we lack."""


class SignatureProbe(SignatureError):
    """WeChat Pay's own test of our verification: refusing it is the right answer."""


@dataclass(frozen=True)
class PlatformKey:
    serial: str
    public_key: rsa.RSAPublicKey
    not_after: datetime | None
    source: str

    def is_current(self, now: datetime) -> bool:
        return self.not_after is None or self.not_after > now


def serial_key(serial: str) -> str:
    """Serials compare without case and, for certificate serials, without leading zeros."""
    serial = serial.strip().upper()
    if serial and all(char in "0123456789ABCDEF" for char in serial):
        return serial.lstrip("0") or "0"
    return serial


# Reading the keys


def known_keys() -> dict[str, PlatformKey]:
    """Every current platform key we trust, by serial."""
    now = datetime.now(UTC)
    keys = [*configured_keys(), *(certificate_key(pem, "downloaded") for pem in stored_certificates().values())]
    return {serial_key(key.serial): key for key in keys if key.is_current(now)}


def configured_keys() -> list[PlatformKey]:
    path = settings.WECHAT_PAY_PLATFORM_CERT_PATH
    if not path:
        return []
    try:
        return list(load_configured_keys(path, settings.WECHAT_PAY_PLATFORM_SERIAL))
    except (OSError, ValueError) as error:
        # Downloaded certificates may still verify; a broken file must not take them down too.
        logger.error("Cannot read DJANGO_WECHAT_PAY_PLATFORM_CERT_PATH %s: %s", path, error)
        return []


@lru_cache(maxsize=4)
def load_configured_keys(path: str, configured_serial: str) -> tuple[PlatformKey, ...]:
    """Certificates carry their own serials; a bare public key (WeChat's "platform public key")
    goes by the configured key id."""
    pem = Path(path).read_bytes()
    if b"BEGIN CERTIFICATE" in pem:
        return tuple(
            certificate_key(certificate.public_bytes(serialization.Encoding.PEM).decode(), "configured") for certificate in x509.load_pem_x509_certificates(pem)
        )
    return (PlatformKey(configured_serial, serialization.load_pem_public_key(pem), None, "configured"),)


@lru_cache(maxsize=16)
def certificate_key(pem: str, source: str) -> PlatformKey:
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return PlatformKey(format(certificate.serial_number, "X"), certificate.public_key(), certificate.not_valid_after_utc, source)


def stored_certificates() -> dict[str, str]:
    """Downloaded certificates (PEM) by serial: from the shared cache, or else the directory."""
    stored = cache.get(CACHE_KEY)
    if stored is None:
        stored = directory_certificates()
        if stored:
            cache.set(CACHE_KEY, stored, CACHE_SECONDS)
    return stored


def directory_certificates() -> dict[str, str]:
    directory = settings.WECHAT_PAY_PLATFORM_CERT_DIR
    if not directory or not Path(directory).is_dir():
        return {}
    found = {}
    for path in sorted(Path(directory).glob(f"{FILE_PREFIX}*.pem")):
        try:
            found[path.stem.removeprefix(FILE_PREFIX)] = path.read_text()
        except OSError as error:
            logger.warning("Cannot read the WeChat Pay platform certificate %s: %s", path, error)
    return found


# Checking signatures


def message_verify(*, timestamp: str, nonce: str, signature: str, serial: str, body: bytes, keys=None) -> PlatformKey:
    """The platform key that signed `timestamp\\nnonce\\nbody\\n`, if the signature holds and is
    recent. Without `keys`, an unknown serial makes us fetch WeChat Pay's current certificates."""
    if not (timestamp and nonce and signature and serial):
        raise SignatureError("Wechatpay-Timestamp, -Nonce, -Signature and -Serial are all required.")
    if signature.startswith(SIGNATURE_PROBE_PREFIX):
        raise SignatureProbe("A signature probe from WeChat Pay, refused as it expects.")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureError("The signature is more than five minutes old or from the future; this may be a replay.")
    key = (keys if keys is not None else known_keys()).get(serial_key(serial))
    if key is None and keys is None and refresh_for_unknown_serial(serial):
        key = known_keys().get(serial_key(serial))
    if key is None:
        raise SignatureError(f"Signed with a platform key we do not have (serial {serial[:64]!r}).")
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    try:
        key.public_key.verify(b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError, TypeError) as error:
        raise SignatureError("The signature does not verify.") from error
    return key


def answer_verify(answer: wechat_api.ApiAnswer, keys=None) -> PlatformKey:
    headers = answer.headers
    return message_verify(
        timestamp=headers.get("wechatpay-timestamp", ""),
        nonce=headers.get("wechatpay-nonce", ""),
        signature=headers.get("wechatpay-signature", ""),
        serial=headers.get("wechatpay-serial", ""),
        body=answer.body,
        keys=keys,
    )


def refresh_for_unknown_serial(serial: str) -> bool:
    """Fetch the certificates again because WeChat Pay may have rotated them. True if we did."""
    if serial_key(serial).startswith(PUBLIC_KEY_ID_PREFIX):
        # Platform public keys are configured by hand; /v3/certificates never lists them.
        return False
    if not cache.add(REFRESH_KEY, True, REFRESH_INTERVAL_SECONDS):
        return False
    try:
        certificates_refresh()
    except WechatPayError as error:
        logger.warning("Could not fetch WeChat Pay's platform certificates for serial %r: %s", serial[:64], error)
        return False
    return True


# Fetching the certificates


def certificates_refresh() -> list[PlatformKey]:
    """Download WeChat Pay's current platform certificates, check them, and keep them for every node.

    The first download cannot be checked with a certificate we already hold, since we may hold
    none. As WeChat Pay's own SDKs do, each certificate is decrypted with our APIv3 key (the
    AES-GCM tag proves it was encrypted by someone holding that key, which only WeChat Pay and we
    do), and then the answer's signature must verify with one of the certificates just decrypted
    or one we already trust.
    """
    answer = wechat_api.exchange("GET", CERTIFICATES_PATH)
    if answer.status != 200:
        raise WechatPayError(f"GET {CERTIFICATES_PATH} answered {answer.status}: {answer.body[:300]!r}")
    try:
        listing = json.loads(answer.body)["data"]
        fresh = dict(certificate_decrypt(item) for item in listing)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise WechatPayError(f"GET {CERTIFICATES_PATH} answered something unreadable: {error}") from error
    now = datetime.now(UTC)
    fresh = {serial: pem for serial, pem in fresh.items() if certificate_key(pem, "downloaded").is_current(now)}
    if not fresh:
        raise WechatPayError(f"GET {CERTIFICATES_PATH} listed no current certificate.")
    fresh_keys = {serial_key(serial): certificate_key(pem, "downloaded") for serial, pem in fresh.items()}
    try:
        answer_verify(answer, keys={**known_keys(), **fresh_keys})
    except SignatureError as error:
        raise WechatPayError(f"The certificate list is not signed by WeChat Pay: {error}") from error
    certificates_store(fresh)
    return sorted(fresh_keys.values(), key=lambda key: key.not_after)


def certificate_decrypt(item: dict) -> tuple[str, str]:
    """(serial, PEM) of one entry of the certificate list, decrypted with our APIv3 key."""
    encrypted = item["encrypt_certificate"]
    if encrypted.get("algorithm") != "AEAD_AES_256_GCM":
        raise WechatPayError(f"Unknown certificate encryption {encrypted.get('algorithm')!r}.")
    try:
        pem = aead_decrypt(encrypted).decode()
    except InvalidTag as error:
        raise WechatPayError(
            "A platform certificate does not decrypt with DJANGO_WECHAT_PAY_API_V3_KEY: the key is wrong, or the answer did not come from WeChat Pay."
        ) from error
    certificate = certificate_key(pem, "downloaded")
    if serial_key(certificate.serial) != serial_key(item["serial_no"]):
        raise WechatPayError(f"Certificate {item['serial_no']!r} holds a certificate with serial {certificate.serial!r}.")
    return certificate.serial, pem


def aead_decrypt(encrypted: dict) -> bytes:
    """AEAD_AES_256_GCM with the APIv3 key, as WeChat Pay encrypts notifications and certificates."""
    return AESGCM(settings.WECHAT_PAY_API_V3_KEY.encode()).decrypt(
        encrypted["nonce"].encode(), b64decode(encrypted["ciphertext"]), (encrypted.get("associated_data") or "").encode()
    )


def certificates_store(certificates: dict[str, str]) -> None:
    """Replace the downloaded set: WeChat Pay lists every certificate still in use, so one it no
    longer lists is no longer trusted."""
    cache.set(CACHE_KEY, certificates, CACHE_SECONDS)
    directory = settings.WECHAT_PAY_PLATFORM_CERT_DIR
    if not directory:
        return
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for serial, pem in certificates.items():
            path = folder / f"{FILE_PREFIX}{serial}.pem"
            # Written aside and renamed, so another node never reads half a certificate.
            partial = path.with_name(path.name + ".partial")
            partial.write_text(pem)
            partial.replace(path)
        for path in folder.glob(f"{FILE_PREFIX}*.pem"):
            if path.stem.removeprefix(FILE_PREFIX) not in certificates:
                path.unlink(missing_ok=True)
    except OSError as error:
        # The cache holds them; the directory only helps after a flush or a restart.
        logger.error("Cannot keep WeChat Pay platform certificates in %s: %s", folder, error)
