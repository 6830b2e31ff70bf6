"""allauth, adjusted to the portal: rate limits count per client address as portal.client_ip finds
it, readers are named by their email or their WeChat nickname (they never chose a username), emails
are signed with the site's name rather than its host name, and the WeChat app is chosen per request
(portal/wechat_login)."""

from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import PermissionDenied

from portal.client_ip import client_ip
from portal.wechat_login.choice import PROVIDER_ID as WECHAT
from portal.wechat_login.choice import app_for_request


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


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        """With both WeChat apps configured allauth cannot pick one by itself (it would raise
        MultipleObjectsReturned): the one for this request's device or callback state, else either
        (showing a connected account needs only the provider, not a particular app)."""
        if provider == WECHAT and client_id is None:
            apps = self.list_apps(request, provider=provider)
            if len(apps) > 1:
                return app_for_request(request, apps) or apps[0]
        return super().get_app(request, provider, client_id=client_id)


def user_display(user) -> str:
    """How allauth's messages and emails name an account (ACCOUNT_USER_DISPLAY): readers who came
    through WeChat have no email address until they add one, but a nickname."""
    return user.email or user.get_full_name() or user.get_username()
