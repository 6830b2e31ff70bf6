"""A fake checkout that succeeds or fails on demand, for development and tests. It never loads
unless DEBUG is on or DJANGO_PAYMENTS_SANDBOX=1, and every page of it says that no money moves."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from members.payments.base import ProviderStart


class SandboxProvider:
    name = "sandbox"
    label = _("Sandbox payment (test only, no money moves)")

    def is_enabled(self) -> bool:
        return settings.PAYMENTS_SANDBOX

    def offered_on(self, device) -> bool:
        return True

    def label_on(self, device) -> str:
        return self.label

    def start(self, order, request) -> ProviderStart:
        return ProviderStart(redirect_url=reverse("members:sandbox-pay", kwargs={"number": order.number}))
