from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProviderStart:
    """Where the reader goes once the order exists: the provider's page, or ours."""

    redirect_url: str


class PaymentProvider(Protocol):
    name: str
    label: str  # shown to readers, translated

    def is_enabled(self) -> bool: ...

    def offered_on(self, device) -> bool:
        """Whether a reader on this device (members.payments.devices.Device) can pay this way."""
        ...

    def label_on(self, device) -> str:
        """The method's name at checkout on this device, translated."""
        ...

    def start(self, order, request) -> ProviderStart: ...
