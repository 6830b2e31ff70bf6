"""Payment providers behind one interface. Each module is one provider; the checkout view asks
`enabled_providers()` what to offer and hands the order to the chosen provider's `start()`."""

from members.payments.alipay import AlipayProvider
from members.payments.base import PaymentProvider, ProviderStart
from members.payments.devices import Device, device_of
from members.payments.manual import ManualProvider
from members.payments.sandbox import SandboxProvider
from members.payments.stripe import StripeProvider
from members.payments.wechat import WechatPayProvider

PROVIDERS: dict[str, PaymentProvider] = {
    provider.name: provider for provider in (SandboxProvider(), StripeProvider(), WechatPayProvider(), AlipayProvider(), ManualProvider())
}


def enabled_providers(device: Device | None = None) -> list[PaymentProvider]:
    """The providers a reader may choose; on a given device, those that work there."""
    return [provider for provider in PROVIDERS.values() if provider.is_enabled() and (device is None or provider.offered_on(device))]


def enabled_provider(name: str) -> PaymentProvider | None:
    provider = PROVIDERS.get(name)
    return provider if provider is not None and provider.is_enabled() else None


__all__ = ["PROVIDERS", "Device", "device_of", "PaymentProvider", "ProviderStart", "enabled_provider", "enabled_providers"]
