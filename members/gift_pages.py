"""Gift pages: the buyer's page with the link to forward, and the recipient's page that redeems it.

The recipient's address carries the code itself, so it is a secret: never kept by a cache, never
indexed, and an address that is not a gift counts as a wrong code against the redeem limiter.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from articles.absolute_urls import absolute_url
from members.codes import RedeemError, TooManyAttempts, code_normalize, code_redeem_limited, limiter_keys, redeem_limiter
from members.gifts import gift_by_code, gift_for_buyer
from portal.client_ip import client_ip


@login_required
def gift_detail(request, number):
    gift = gift_for_buyer(request.user, number)
    context = {"gift": gift, "order": gift.order, "link": absolute_url(gift.get_redeem_url()) if gift.code_id else ""}
    response = render(request, "members/gift.html", context)
    patch_cache_control(response, private=True, no_store=True)
    return response


def visitor_limiter_keys(request) -> list[str]:
    if request.user.is_authenticated:
        return limiter_keys(user_id=request.user.pk, client_ip=client_ip(request))
    return [f"ip:{client_ip(request)}"]


@require_http_methods(["GET", "HEAD", "POST"])
def gift_redeem(request, code):
    keys = visitor_limiter_keys(request)
    minutes = redeem_limiter.minutes_blocked(keys)
    if minutes:
        return gift_response(request, {"gift": None, "error": str(TooManyAttempts(minutes))}, status=429)
    gift = gift_by_code(code_normalize(code))
    if gift is None:
        redeem_limiter.record_failure(keys)
        raise Http404
    error, status = None, 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            membership = code_redeem_limited(user=request.user, client_ip=client_ip(request), raw_code=gift.code.code)
        except RedeemError as refusal:
            error, status = str(refusal), 429 if isinstance(refusal, TooManyAttempts) else 400
            gift.code.refresh_from_db()
        else:
            messages.success(request, _("Gift redeemed. Welcome to “%(title)s”.") % {"title": membership.column.title})
            return redirect(membership.column.get_absolute_url())
    return gift_response(request, {"gift": gift, "code": gift.code, "column": gift.order.column, "error": error}, status=status)


def gift_response(request, context, *, status):
    response = render(request, "members/gift_redeem.html", context, status=status)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response
