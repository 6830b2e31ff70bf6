"""Caches never cross readers: a shared cache (a CDN, a proxy) may not store one reader's page and
hand it to another. Every page varies on Cookie; pages for a reader with a session are private."""

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils.cache import patch_cache_control

from portal.middleware import PrivateCacheMiddleware
from tests.factories import make_article, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def varies_on_cookie(response) -> bool:
    return "cookie" in {part.strip().lower() for part in response.get("Vary", "").split(",")}


def test_a_members_article_is_private_to_the_member(client):
    column = make_column()
    article = make_article(column)
    reader = make_user()
    make_membership(reader, column)
    client.force_login(reader)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "private" in cache_control(response) and "public" not in cache_control(response)
    assert varies_on_cookie(response)


@pytest.mark.parametrize("name", ["articles:home", "members:my-columns", "members:orders", "account_login"])
def test_every_page_for_a_signed_in_reader_is_private(client, name):
    client.force_login(make_user())
    response = client.get(reverse(name))
    assert "private" in cache_control(response), name
    assert varies_on_cookie(response), name


def test_anonymous_pages_vary_on_cookie_and_may_be_kept_briefly_by_a_shared_cache(client, settings):
    settings.PAGE_SHARED_CACHE_SECONDS = 5
    make_column()
    response = client.get(reverse("articles:home"))
    assert varies_on_cookie(response)
    # Nothing in it belongs to this visitor: no CSRF token, no cookie.
    assert not response.cookies and "csrfmiddlewaretoken" not in response.content.decode()
    assert cache_control(response) == {"public", "max-age=0", "s-maxage=5"}


def test_a_stricter_choice_of_the_view_is_kept():
    request = RequestFactory().get("/", HTTP_COOKIE=f"{django_settings.SESSION_COOKIE_NAME}=abc")

    def view(request):
        response = HttpResponse("secret")
        patch_cache_control(response, no_store=True)
        return response

    response = PrivateCacheMiddleware(view)(request)
    assert cache_control(response) == {"no-store"}


def test_a_public_response_becomes_private_when_the_request_carries_a_session():
    request = RequestFactory().get("/", HTTP_COOKIE=f"{django_settings.SESSION_COOKIE_NAME}=abc")

    def view(request):
        response = HttpResponse("feed")
        patch_cache_control(response, public=True, max_age=600)
        return response

    response = PrivateCacheMiddleware(view)(request)
    assert "private" in cache_control(response) and "public" not in cache_control(response)


def test_a_response_untouched_by_any_reader_may_stay_public():
    def view(request):
        response = HttpResponse("feed")
        patch_cache_control(response, public=True, max_age=600)
        return response

    response = PrivateCacheMiddleware(view)(RequestFactory().get("/feeds/"))
    assert "public" in cache_control(response)
    assert varies_on_cookie(response)


def test_django_does_not_cache_whole_pages():
    # The per-site cache middleware keys pages by URL: one reader's page would be served to the next.
    for name in ["django.middleware.cache.UpdateCacheMiddleware", "django.middleware.cache.FetchFromCacheMiddleware"]:
        assert name not in django_settings.MIDDLEWARE


def test_no_view_caches_its_page_by_url():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for app in ["articles", "members", "portal"]
        for path in (root / app).rglob("*.py")
        if "cache_page" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
