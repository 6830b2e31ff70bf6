"""CSRF tokens for kept pages, as django.middleware.csrf.get_token makes them, faster.

A kept page's form gets a fresh masked token on every request (the mask keeps the secret out of
reach of compression side channels). Django draws the 32 mask characters with 32 calls to the
system's random source; here they come from one read. The token is Django's format: the mask,
then the secret shifted by it, both in CSRF_ALLOWED_CHARS, and the middleware checks it as its own.
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

# The largest multiple of the alphabet's size that fits in a byte: bytes at or above it are
# redrawn, so that every character is equally likely.
_UNBIASED_BELOW = 256 - 256 % len(CSRF_ALLOWED_CHARS)
_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def _random_indexes(count: int) -> list[int]:
    indexes: list[int] = []
    while len(indexes) < count:
        indexes.extend(byte % len(CSRF_ALLOWED_CHARS) for byte in secrets.token_bytes(count) if byte < _UNBIASED_BELOW)
    return indexes[:count]


def masked_token(request) -> str:
    """What get_token(request) returns: a new masking of the request's CSRF secret."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH or not all(char in _INDEX for char in secret):
        return get_token(request)  # no usable secret yet: Django makes one and sets the cookie
    # As get_token does: the page uses the cookie, so it is sent again to renew its expiry.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_indexes(CSRF_SECRET_LENGTH)
    chars, size = CSRF_ALLOWED_CHARS, len(CSRF_ALLOWED_CHARS)
    cipher = "".join(chars[(_INDEX[char] + shift) % size] for char, shift in zip(secret, mask, strict=True))
    return "".join(chars[shift] for shift in mask) + cipher
