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

    def start(self, order, request) -> ProviderStart: ...
