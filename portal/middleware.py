"""Response headers every page gets: who may cache it, and which browser features it may use."""

from django.conf import settings
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
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class PermissionsPolicyMiddleware:
    """Switches off the browser features listed in settings.PERMISSIONS_POLICY."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
