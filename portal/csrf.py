"""CSRF tokens for kept pages, as django.middleware.csrf.get_token makes them, and their CSRF
cookie renewed as Django's middleware renews it, both faster.

A kept page's form gets a fresh masked token on every request (the mask keeps the secret out of
reach of compression side channels). Django draws the 32 mask characters with 32 calls to the
system's random source; here they come from one read. The token is Django's format: the mask,
then the secret shifted by it, both in CSRF_ALLOWED_CHARS, and the middleware checks it as its own.
"""

import functools
import secrets
import time

from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date

_SIZE = len(CSRF_ALLOWED_CHARS)
# Random bytes become shifts 0…_SIZE-1 by one translate; bytes at or above the largest multiple
# of the alphabet's size that fits in a byte are dropped (redrawn), so every shift is equally likely.
_UNBIASED_BELOW = 256 - 256 % _SIZE
_TO_SHIFT = bytes(byte % _SIZE for byte in range(256))
_BIASED = bytes(range(_UNBIASED_BELOW, 256))
_SHIFT_TO_CHAR = CSRF_ALLOWED_CHARS.encode().ljust(256, b"\0")
# The alphabet rotated by each character's place: _SHIFTED[char][shift] is char shifted by shift.
_SHIFTED = {char: CSRF_ALLOWED_CHARS[index:] + CSRF_ALLOWED_CHARS[:index] for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def _random_shifts(count: int) -> bytes:
    shifts = b""
    while len(shifts) < count:
        shifts += secrets.token_bytes(count + 8).translate(_TO_SHIFT, _BIASED)
    return shifts[:count]


def _is_secret(value) -> bool:
    # CSRF_ALLOWED_CHARS is the ASCII letters and digits.
    return isinstance(value, str) and len(value) == CSRF_SECRET_LENGTH and value.isascii() and value.isalnum()


def masked_token(request) -> str:
    """What get_token(request) returns: a new masking of the request's CSRF secret."""
    secret = request.META.get("CSRF_COOKIE")
    if not _is_secret(secret):
        return get_token(request)  # no usable secret yet: Django makes one and sets the cookie
    # As get_token does: the page uses the cookie, so it is sent again to renew its expiry.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_shifts(CSRF_SECRET_LENGTH)
    cipher = "".join([_SHIFTED[char][shift] for char, shift in zip(secret, mask, strict=True)])
    return mask.translate(_SHIFT_TO_CHAR).decode("ascii") + cipher


@functools.lru_cache(maxsize=2)
def _expires_at(second: int) -> str:
    return http_date(second)


def renew_csrf_cookie(request, response) -> None:
    """What CsrfViewMiddleware.process_response does for a page that used the CSRF token: send
    the cookie again to renew its expiry, and mark it sent. Django formats the expiry date anew
    every time, a third of the cost; here it is formatted once a second. The header is Django's
    to the byte (Django's date is of whole seconds too). Anything that rotates the token later
    marks the cookie again, and the middleware then sends the new one as usual."""
    age = settings.CSRF_COOKIE_AGE
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or settings.CSRF_USE_SESSIONS or not isinstance(age, int):
        return  # nothing to renew, or the middleware's own way
    response.set_cookie(
        settings.CSRF_COOKIE_NAME,
        request.META["CSRF_COOKIE"],
        max_age=age,
        expires=_expires_at(int(time.time() + age)),
        domain=settings.CSRF_COOKIE_DOMAIN,
        path=settings.CSRF_COOKIE_PATH,
        secure=settings.CSRF_COOKIE_SECURE,
        httponly=settings.CSRF_COOKIE_HTTPONLY,
        samesite=settings.CSRF_COOKIE_SAMESITE,
    )
    patch_vary_headers(response, ("Cookie",))  # as Django: the content varies with the cookie
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
