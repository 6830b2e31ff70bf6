"""allauth, adjusted to the portal: rate limits count per client address as portal.client_ip finds
it, readers are named by their email (they never chose a username), and emails are signed with the
site's name rather than its host name."""

from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import PermissionDenied

from portal.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine the client address")
        return address

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        site = get_current_site(allauth_context.request)
        context = {"current_site": SimpleNamespace(name=settings.SITE_NAME, domain=site.domain), **context}
        super().send_mail(template_prefix, email, context)


def user_display(user) -> str:
    """How allauth's messages and emails name an account (ACCOUNT_USER_DISPLAY)."""
    return user.email or user.get_username()
