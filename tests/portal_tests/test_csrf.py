"""portal/csrf.py masks the CSRF secret as Django does: Django reads the token back as its own."""

import time
from collections import Counter

import pytest
from django.http import HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CsrfViewMiddleware, _unmask_cipher_token, get_token, rotate_token
from django.test import RequestFactory, override_settings

from portal.csrf import masked_token, renew_csrf_cookie


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


@pytest.mark.parametrize("moment", [1_800_000_000.0, 1_800_000_000.999, 1_800_000_001.2])
@pytest.mark.parametrize("options", [{}, {"CSRF_COOKIE_SECURE": True, "CSRF_COOKIE_DOMAIN": "example.com", "CSRF_COOKIE_AGE": 3600}, {"CSRF_COOKIE_AGE": None}])
def test_the_renewed_cookie_is_djangos_to_the_byte(monkeypatch, moment, options):
    monkeypatch.setattr(time, "time", lambda: moment)
    middleware = CsrfViewMiddleware(lambda request: HttpResponse())
    with override_settings(**options):
        by_django, request = HttpResponse(), request_with_cookie()
        masked_token(request)  # the page used the token: the cookie is renewed
        middleware.process_response(request, by_django)
        by_us, request = HttpResponse(), request_with_cookie()
        masked_token(request)
        renew_csrf_cookie(request, by_us)
        middleware.process_response(request, by_us)  # finds nothing left to do, or does it its way
    assert (by_us.cookies.output(), by_us.get("Vary")) == (by_django.cookies.output(), by_django.get("Vary"))
    assert "csrftoken=" in by_django.cookies.output() and by_django["Vary"] == "Cookie"


def test_a_token_rotated_after_the_renewal_still_reaches_the_reader():
    request, response = request_with_cookie(), HttpResponse()
    masked_token(request)
    renew_csrf_cookie(request, response)
    rotate_token(request)  # a sign-in during the response, say
    CsrfViewMiddleware(lambda request: HttpResponse()).process_response(request, response)
    assert response.cookies["csrftoken"].value == request.META["CSRF_COOKIE"] != "aB3" * 10 + "xy"
