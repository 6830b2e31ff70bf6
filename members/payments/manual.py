"""Manual transfer: the reader sees the amount, the order number and how to pay; an editor marks
the order paid in admin, which activates the membership."""

from django.utils.translation import gettext_lazy as _

from members.payments.base import ProviderStart


class ManualProvider:
    name = "manual"
    label = _("Bank transfer (confirmed by an editor)")

    def is_enabled(self) -> bool:
        return True

    def offered_on(self, device) -> bool:
        return True

    def label_on(self, device) -> str:
        return self.label

    def start(self, order, request) -> ProviderStart:
        return ProviderStart(redirect_url=order.get_absolute_url())
