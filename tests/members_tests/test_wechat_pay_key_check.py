"""The system check on WeChat Pay's APIv3 key: once a merchant is configured, the key must be
exactly 32 bytes (UTF-8), or startup says where to find the right one."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from members.checks import wechat_pay_api_v3_key_length


@pytest.fixture
def merchant(settings):
    settings.WECHAT_PAY_MCH_ID = "1900000001"
    settings.WECHAT_PAY_API_V3_KEY = "0123456789abcdef0123456789ABCDEF"
    return settings


def test_a_32_byte_key_passes(merchant):
    assert wechat_pay_api_v3_key_length(None) == []


@pytest.mark.parametrize(
    "key,length",
    [
        ("0123456789abcdef0123456789ABCDE", 31),
        ("0123456789abcdef0123456789ABCDEF0", 33),
        # 32 characters but 34 bytes: the key is bytes to AES-256.
        ("密钥456789abcdef0123456789ABCDEF", 34),
        ("", 0),
    ],
    ids=["short", "long", "multibyte", "missing"],
)
def test_a_key_of_another_length_is_an_error_saying_where_to_find_it(merchant, key, length):
    merchant.WECHAT_PAY_API_V3_KEY = key
    [error] = wechat_pay_api_v3_key_length(None)
    assert error.id == "members.E031" and f"{length} bytes" in error.msg
    assert "商户平台 → 账户中心 → API安全 → 设置APIv3密钥" in error.hint


def test_without_wechat_pay_any_key_is_fine(settings):
    settings.WECHAT_PAY_MCH_ID = ""
    settings.WECHAT_PAY_API_V3_KEY = "short"
    assert wechat_pay_api_v3_key_length(None) == []


def test_manage_py_check_refuses_a_wrong_key(merchant):
    merchant.WECHAT_PAY_API_V3_KEY = "too short"
    with pytest.raises(SystemCheckError, match="members.E031"):
        call_command("check", tags=["payments"])
