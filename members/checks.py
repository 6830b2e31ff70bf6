from django.conf import settings
from django.core.checks import Error, Warning, register

from members.payments.alipay.client import private_key_from, public_key_from
from members.payments.wechat import WechatPayProvider
from members.payments.wechat_methods import jsapi_app_id

PER_PROCESS_CACHES = {"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"}
ALIPAY_SETTINGS = ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH")
ALIPAY_KEYS_HINT = (
    "Alipay's 开放平台 → 应用 → 开发设置 → 接口加签方式 (公钥, RSA2): DJANGO_ALIPAY_PRIVATE_KEY_PATH is the 应用私钥 "
    "made with Alipay's key tool, DJANGO_ALIPAY_PUBLIC_KEY_PATH the 支付宝公钥 that page shows (PEM or bare base64)."
)


@register("payments", deploy=True)
def sandbox_is_off_in_production(app_configs, **kwargs):
    if settings.PAYMENTS_SANDBOX and not settings.DEBUG:
        return [
            Warning(
                "The sandbox payment provider is enabled with DEBUG off: anyone can 'pay' without money moving.",
                hint="Unset DJANGO_PAYMENTS_SANDBOX in production.",
                id="members.W001",
            )
        ]
    return []


@register("security", deploy=True)
def rate_limits_are_shared(app_configs, **kwargs):
    """Redeem-code and account rate limits count in the default cache; per process, each gunicorn
    worker keeps its own count and a guesser gets the limit once per worker."""
    if settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES and not settings.DEBUG:
        return [
            Warning(
                "The default cache lives inside each process, so rate limits are counted per worker, not per site.",
                hint="Set REDIS_URL so every web node shares one cache, or keep the default cache (files every worker on this machine shares).",
                id="members.W002",
            )
        ]
    return []


@register("payments")
def alipay_keys_load(app_configs, **kwargs):
    """Alipay's keys are first read when a reader pays; a missing or wrong file is found here instead."""
    missing = [f"DJANGO_{name}" for name in ALIPAY_SETTINGS if not getattr(settings, name)]
    if len(missing) == len(ALIPAY_SETTINGS):
        return []
    if missing:
        return [Warning("Alipay is partly configured, so it is not offered.", hint=f"Set {', '.join(missing)} too, or none of them.", id="members.W020")]
    problems, keys = [], []
    for load, path, what, check_id in (
        (private_key_from, settings.ALIPAY_PRIVATE_KEY_PATH, "app private key (应用私钥)", "members.E020"),
        (public_key_from, settings.ALIPAY_PUBLIC_KEY_PATH, "Alipay public key (支付宝公钥)", "members.E021"),
    ):
        try:
            keys.append(load(path))
        except (OSError, ValueError) as error:
            problems.append(Error(f"Alipay's {what} cannot be read: {error}", hint=ALIPAY_KEYS_HINT, id=check_id))
    if len(keys) == 2 and keys[0].public_key().public_numbers() == keys[1].public_numbers():
        # A common mix-up, and every genuine notification and answer would then be refused.
        problems.append(Error("DJANGO_ALIPAY_PUBLIC_KEY_PATH holds your app's own public key, not Alipay's.", hint=ALIPAY_KEYS_HINT, id="members.E022"))
    return problems


@register("payments", deploy=True)
def wechat_pay_inside_wechat(app_configs, **kwargs):
    """Readers inside WeChat's browser can pay only with a 公众号 for JSAPI; without one WeChat Pay is
    silently missing from their checkout, which is better said before going live."""
    if not WechatPayProvider().is_enabled() or jsapi_app_id():
        return []
    return [
        Warning(
            "WeChat Pay is not offered to readers inside WeChat: no 公众号 is configured for its JSAPI payments.",
            hint="Set DJANGO_WECHAT_MP_APP_ID and DJANGO_WECHAT_MP_SECRET to a 公众号 bound to the merchant in WeChat Pay (产品中心 → AppID账号管理).",
            id="members.W030",
        )
    ]


# WeChat Pay's APIv3 key is the AES-256-GCM key of every notification and certificate download.
WECHAT_PAY_API_V3_KEY_BYTES = 32


@register("payments")
def wechat_pay_api_v3_key_length(app_configs, **kwargs):
    """A key of any other length is first noticed when WeChat Pay's first notification cannot be
    decrypted: every payment then waits for reconciliation, and certificates cannot be downloaded."""
    if not settings.WECHAT_PAY_MCH_ID:
        return []
    length = len(settings.WECHAT_PAY_API_V3_KEY.encode())
    if length == WECHAT_PAY_API_V3_KEY_BYTES:
        return []
    return [
        Error(
            f"DJANGO_WECHAT_PAY_API_V3_KEY is {length} bytes long; WeChat Pay's APIv3 key is exactly {WECHAT_PAY_API_V3_KEY_BYTES}.",
            hint="Copy the APIv3 key from WeChat Pay's 商户平台 → 账户中心 → API安全 → 设置APIv3密钥 (not the older APIv2 key), or set a new one there.",
            id="members.E031",
        )
    ]
