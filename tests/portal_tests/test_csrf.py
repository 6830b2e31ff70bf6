"""portal/csrf.py masks the CSRF secret as Django does: Django reads the token back as its own."""

from collections import Counter

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CsrfViewMiddleware, _unmask_cipher_token, get_token
from django.test import RequestFactory

from portal.csrf import masked_token


def request_with_cookie():
    request = RequestFactory().get("/", HTTP_COOKIE="csrftoken=" + "aB3" * 10 + "xy")
    CsrfViewMiddleware(lambda request: None).process_request(request)
    return request


def test_a_masked_token_unmasks_to_the_cookies_secret_and_differs_every_time():
    request = request_with_cookie()
    tokens = {masked_token(request) for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS) for token in tokens)
    assert {_unmask_cipher_token(token) for token in tokens} == {request.META["CSRF_COOKIE"]}
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"]  # the cookie is renewed, as get_token renews it


def test_without_a_usable_cookie_it_is_djangos_own_token():
    request = RequestFactory().get("/")
    CsrfViewMiddleware(lambda request: None).process_request(request)
    token = masked_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(get_token(request)) == _unmask_cipher_token(token)


def test_mask_characters_are_evenly_drawn():
    request = request_with_cookie()
    counts = Counter(char for _ in range(2000) for char in masked_token(request)[:32])
    expected = 2000 * 32 / len(CSRF_ALLOWED_CHARS)
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert all(0.8 * expected < count < 1.2 * expected for count in counts.values())
