"""Payment providers behind one interface. Each module is one provider; the checkout view asks
`enabled_providers()` what to offer and hands the order to the chosen provider's `start()`."""

from members.payments.base import PaymentProvider, ProviderStart
from members.payments.manual import ManualProvider
from members.payments.sandbox import SandboxProvider
from members.payments.stripe import StripeProvider
from members.payments.wechat import WechatPayProvider

PROVIDERS: dict[str, PaymentProvider] = {provider.name: provider for provider in (SandboxProvider(), StripeProvider(), WechatPayProvider(), ManualProvider())}


def enabled_providers() -> list[PaymentProvider]:
    return [provider for provider in PROVIDERS.values() if provider.is_enabled()]


def enabled_provider(name: str) -> PaymentProvider | None:
    provider = PROVIDERS.get(name)
    return provider if provider is not None and provider.is_enabled() else None


__all__ = ["PROVIDERS", "PaymentProvider", "ProviderStart", "enabled_provider", "enabled_providers"]
