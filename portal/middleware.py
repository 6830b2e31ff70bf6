"""Response headers every page gets: who may cache it, and which browser features it may use."""

import functools

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.cache import patch_cache_control, patch_vary_headers

# Directives at least as strict as `private`: a response carrying one is left as the view set it.
STRICTER = ("private", "no-store")


class PrivateCacheMiddleware:
    """Pages differ by reader (the header, the paywall, CSRF tokens), so none may be stored by a
    shared cache for someone else: every page varies on Cookie, and a page for a request that
    carries a session or sets a cookie is marked private."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        if is_personal(request, response) and not any(word in response.get("Cache-Control", "") for word in STRICTER):
            patch_cache_control(response, private=True)
        return response


def is_personal(request, response) -> bool:
    if settings.SESSION_COOKIE_NAME in request.COOKIES or response.cookies:
        return True
    session = getattr(request, "session", None)
    user = getattr(request, "_cached_user", None)
    return bool((session is not None and session.accessed) or (user is not None and user.is_authenticated))


class PermissionsPolicyMiddleware:
    """Switches off the browser features listed in settings.PERMISSIONS_POLICY."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# What a view or decorator of django-csp may set to change one response's policy.
PER_RESPONSE_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


@functools.cache
def site_policies() -> tuple[str, str]:
    """The Content-Security-Policy and its report-only twin from settings, built once (django-csp
    builds them for every response: 7 % of a member's article page)."""
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _forget_site_policies(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        site_policies.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware; a response with the site's own policy (no nonce, no per-view
    change) gets the policy strings built once."""

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, name) for name in PER_RESPONSE_POLICY):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for header, policy, exempt, setting in zip(
            (HEADER, HEADER_REPORT_ONLY), site_policies(), ("_csp_exempt", "_csp_exempt_ro"),
            ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"), strict=True,
        ):  # fmt: skip
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if policy and header not in response and not getattr(response, exempt, False) and not request.path_info.startswith(prefixes):
                response[header] = policy
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
