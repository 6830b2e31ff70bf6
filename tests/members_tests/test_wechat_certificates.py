"""WeChat Pay's platform certificates: downloaded, decrypted with the APIv3 key, checked against the
signature of the very answer that carries them, kept where every web node finds them, and fetched
again when WeChat Pay signs with a serial we do not know (but not on every forged serial)."""

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.core.management import CommandError, call_command

from members.models import Membership, Order
from members.payments import wechat_certificates
from members.payments.wechat_api import WechatPayError
from tests.members_tests.test_wechat import (  # noqa: F401 (fixtures)
    certificate_list,
    make_certificate,
    merchant_key,
    notification,
    notify,
    order,
    platform_certificate,
    platform_key,
    serial_of,
    signed_headers,
    transaction_resource,
    wechat_keys,
    wechat_pay,
)

pytestmark = pytest.mark.django_db

NEW_SERIAL = 0x7A2F0C0FFEE0000000000000000000A1


@pytest.fixture(scope="module")
def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def new_certificate(new_key):
    return make_certificate(new_key, NEW_SERIAL, valid_days=1800)


@pytest.fixture
def downloads_only(settings, tmp_path):
    """A merchant who configured no platform file and keeps downloads in a directory."""
    settings.WECHAT_PAY_PLATFORM_CERT_PATH = ""
    settings.WECHAT_PAY_PLATFORM_CERT_DIR = str(tmp_path / "wechatpay")
    return tmp_path / "wechatpay"


def test_the_first_download_is_checked_with_the_certificates_it_carries(wechat_pay, downloads_only, new_key, new_certificate):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(new_certificate), signing_key=new_key, serial=serial_of(new_certificate))
    (key,) = wechat_certificates.certificates_refresh()
    assert key.serial == serial_of(new_certificate) and key.not_after == new_certificate.not_valid_after_utc
    assert set(wechat_certificates.known_keys()) == {serial_of(new_certificate)}
    assert (downloads_only / f"wechatpay_{serial_of(new_certificate)}.pem").read_bytes() == new_certificate.public_bytes(serialization.Encoding.PEM)
    (request,) = wechat_pay.requests
    assert request.get_method() == "GET" and request.get_header("Authorization").startswith("WECHATPAY2-SHA256-RSA2048 ")


def test_a_list_encrypted_with_another_key_is_refused_and_nothing_kept(wechat_pay, downloads_only, new_key, new_certificate):
    listing = certificate_list(new_certificate, key="another-32-byte-key-for-aes-gcm!")
    wechat_pay.on("GET", "/v3/certificates", listing, signing_key=new_key, serial=serial_of(new_certificate))
    with pytest.raises(WechatPayError, match="does not decrypt"):
        wechat_certificates.certificates_refresh()
    assert wechat_certificates.known_keys() == {} and not downloads_only.exists()


def test_a_list_whose_answer_is_signed_by_another_key_is_refused(wechat_pay, downloads_only, new_certificate):
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wechat_pay.on("GET", "/v3/certificates", certificate_list(new_certificate), signing_key=impostor, serial=serial_of(new_certificate))
    with pytest.raises(WechatPayError, match="not signed by WeChat Pay"):
        wechat_certificates.certificates_refresh()
    assert wechat_certificates.known_keys() == {}


def test_an_unsigned_list_is_refused(wechat_pay, downloads_only, new_certificate):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(new_certificate), signed=False)
    with pytest.raises(WechatPayError):
        wechat_certificates.certificates_refresh()
    assert wechat_certificates.known_keys() == {}


def test_a_certificate_listed_under_another_serial_is_refused(wechat_pay, downloads_only, new_key, new_certificate):
    listing = certificate_list(new_certificate)
    listing["data"][0]["serial_no"] = "0BADBEEF"
    wechat_pay.on("GET", "/v3/certificates", listing, signing_key=new_key, serial=serial_of(new_certificate))
    with pytest.raises(WechatPayError, match="0BADBEEF"):
        wechat_certificates.certificates_refresh()


def test_a_rotation_is_signed_by_the_certificate_we_already_trust(wechat_pay, new_certificate, platform_certificate):
    # WeChat Pay lists the old and the new certificate while it rotates, and signs with the old one.
    wechat_pay.on("GET", "/v3/certificates", certificate_list(platform_certificate, new_certificate))
    wechat_certificates.certificates_refresh()
    assert set(wechat_certificates.known_keys()) == {serial_of(platform_certificate), serial_of(new_certificate)}


def test_downloaded_certificates_survive_a_cache_flush_through_the_directory(wechat_pay, downloads_only, new_key, new_certificate):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(new_certificate), signing_key=new_key, serial=serial_of(new_certificate))
    wechat_certificates.certificates_refresh()
    cache.clear()
    assert set(wechat_certificates.known_keys()) == {serial_of(new_certificate)}
    assert len(wechat_pay.requests) == 1


def test_a_certificate_no_longer_listed_is_no_longer_trusted(wechat_pay, downloads_only, new_key, new_certificate, platform_key, platform_certificate):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(platform_certificate, new_certificate))
    wechat_certificates.certificates_refresh()
    wechat_pay.on("GET", "/v3/certificates", certificate_list(new_certificate), signing_key=new_key, serial=serial_of(new_certificate))
    wechat_certificates.certificates_refresh()
    assert set(wechat_certificates.known_keys()) == {serial_of(new_certificate)}
    assert [path.name for path in downloads_only.iterdir()] == [f"wechatpay_{serial_of(new_certificate)}.pem"]


def test_an_expired_certificate_is_not_trusted(wechat_pay, downloads_only):
    old_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expired = make_certificate(old_key, 0xABC, valid_days=-1)
    wechat_certificates.certificates_store({serial_of(expired): expired.public_bytes(serialization.Encoding.PEM).decode()})
    assert wechat_certificates.known_keys() == {}


def test_a_notification_signed_by_a_new_certificate_fetches_it_and_is_applied(wechat_pay, notify, order, new_key, new_certificate, platform_certificate):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(platform_certificate, new_certificate))
    payload = notification(transaction_resource(order))
    body = json.dumps(payload, ensure_ascii=False).encode()
    response = notify(payload, headers=signed_headers(body, new_key, new_certificate))
    assert response.status_code == 204 and Membership.objects.get().is_active()
    assert len(wechat_pay.sent("GET", "/v3/certificates")) == 1


def test_forged_serials_fetch_the_certificates_at_most_once_a_minute(wechat_pay, notify, order, platform_key, platform_certificate):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(platform_certificate))
    payload = notification(transaction_resource(order))
    body = json.dumps(payload, ensure_ascii=False).encode()
    for forged in ("0A", "0B", "0C"):
        assert notify(payload, headers=signed_headers(body, platform_key, None, serial=forged)).status_code == 400
    assert len(wechat_pay.sent("GET", "/v3/certificates")) == 1
    assert Order.objects.get().status == Order.Status.PENDING


def test_a_platform_public_key_id_never_fetches_certificates(wechat_pay, notify, order, platform_key):
    payload = notification(transaction_resource(order))
    body = json.dumps(payload, ensure_ascii=False).encode()
    assert notify(payload, headers=signed_headers(body, platform_key, None, serial="PUB_KEY_ID_0114232134912410000")).status_code == 400
    assert wechat_pay.requests == []


def test_an_unreachable_wechat_pay_leaves_the_notification_refused_for_a_retry(wechat_pay, notify, order, new_key, new_certificate):
    wechat_pay.fail("GET", "/v3/certificates")
    payload = notification(transaction_resource(order))
    body = json.dumps(payload, ensure_ascii=False).encode()
    assert notify(payload, headers=signed_headers(body, new_key, new_certificate)).status_code == 400
    assert not Membership.objects.exists()


def test_the_command_prints_serials_and_expiry(wechat_pay, downloads_only, new_key, new_certificate):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(new_certificate), signing_key=new_key, serial=serial_of(new_certificate))
    out = StringIO()
    call_command("wechat_pay_certificates", stdout=out)
    printed = out.getvalue()
    assert serial_of(new_certificate) in printed and f"{new_certificate.not_valid_after_utc:%Y-%m-%d}" in printed
    listed = StringIO()
    call_command("wechat_pay_certificates", "--list", stdout=listed)
    assert serial_of(new_certificate) in listed.getvalue() and len(wechat_pay.requests) == 1


def test_the_command_fails_loudly_when_the_download_fails(wechat_pay, downloads_only):
    wechat_pay.on("GET", "/v3/certificates", {"code": "SIGN_ERROR", "message": "签名错误"}, status=401, signed=False)
    with pytest.raises(CommandError, match="401"):
        call_command("wechat_pay_certificates", stdout=StringIO())


def test_the_command_refuses_without_configuration(settings):
    settings.WECHAT_PAY_MCH_ID = ""
    with pytest.raises(CommandError, match="not configured"):
        call_command("wechat_pay_certificates", stdout=StringIO())


def test_a_missing_configured_file_does_not_take_the_downloaded_certificates_down(wechat_pay, settings, tmp_path, new_key, new_certificate):
    wechat_pay.on("GET", "/v3/certificates", certificate_list(new_certificate), signing_key=new_key, serial=serial_of(new_certificate))
    settings.WECHAT_PAY_PLATFORM_CERT_PATH = str(tmp_path / "gone.pem")
    wechat_certificates.certificates_refresh()
    assert set(wechat_certificates.known_keys()) == {serial_of(new_certificate)}


def test_an_unwritable_directory_still_keeps_the_certificates_in_the_cache(wechat_pay, settings, tmp_path, new_key, new_certificate):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory should be")
    settings.WECHAT_PAY_PLATFORM_CERT_DIR = str(blocker / "wechatpay")
    wechat_pay.on("GET", "/v3/certificates", certificate_list(new_certificate), signing_key=new_key, serial=serial_of(new_certificate))
    wechat_certificates.certificates_refresh()
    assert serial_of(new_certificate) in wechat_certificates.known_keys()
