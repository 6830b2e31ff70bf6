"""Remembers the referral link a visitor arrived through, for a later checkout."""

from django.conf import settings
from django.utils.cache import patch_cache_control

from articles.selectors import column_id_for_path
from members.referrals import (
    REFERRAL_COOKIE,
    REFERRAL_COOKIE_SALT,
    REFERRAL_PARAMETER,
    referral_code_lookup,
    referral_visit_record,
    referral_window,
)


class ReferralMiddleware:
    """On a GET with ?refer=<code> of a real code: set a signed cookie with the code (the latest
    link wins) and count the visit. Unknown codes and a referrer's own link change nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        raw = request.GET.get(REFERRAL_PARAMETER) if request.method == "GET" else None
        if not raw or response.status_code >= 400:
            return response
        code = referral_code_lookup(raw)
        if code is None or (request.user.is_authenticated and code.user_id == request.user.pk):
            return response
        referral_visit_record(code=code, column_id=column_id_for_path(request.path_info))
        response.set_signed_cookie(
            REFERRAL_COOKIE,
            code.code,
            salt=REFERRAL_COOKIE_SALT,
            max_age=int(referral_window().total_seconds()),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        # A shared cache must not hand this visitor's Set-Cookie to the next one.
        patch_cache_control(response, private=True)
        return response
