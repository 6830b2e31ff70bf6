"""Whole pages for visitors without a session, answered before the rest of the middleware.

A visitor who sends no session cookie is certainly not signed in, and the pages marked with
`visitor_page` show such a visitor only what anyone may read (the leak crawl proves it for each
of them): home, categories, columns, articles (their preview), tags, authors, search, sitemaps and
robots.txt. `KeptVisitorPagesMiddleware` comes first in MIDDLEWARE. On a hit it answers with the
kept content and the headers the whole middleware stack gave the page when it was rendered, as
Django's cache middleware pair does, so no security, static-file, session, locale, CSRF or
authentication work runs; each process also keeps its own copy of the pages it answers, so most
hits do not even ask the shared cache. A request SecurityMiddleware would redirect to HTTPS, and
static files, go down the stack as usual. On a miss the request goes through as usual and a page the view marked
is kept. Visitor pages carry no CSRF token (the only form on them, the language switch, is
exempt), so one kept copy serves everyone, and they say so to nginx or a CDN: `Cache-Control:
public, max-age=0, s-maxage=PAGE_SHARED_CACHE_SECONDS` (README shows an nginx micro-cache).
"""

import functools
import hashlib

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import get_language_from_request

from articles.page_cache import generation
from articles.page_cache.entries import enabled, find, is_plain_page, keep, lifetime, page_key

# Query parameters a kept page may answer. Anything else (a referral code, say) is rendered afresh.
PAGE_PARAMETERS = frozenset({"page"})
SEARCH_PARAMETERS = frozenset({"q", "page", "column"})
SITEMAP_PARAMETERS = frozenset({"p"})
# What WeChat, Weibo and campaign links append when an article is shared. They are dropped before
# the page is looked up or rendered, so they neither make entries of their own nor reach the page.
SHARING_PARAMETERS = frozenset(
    {"from", "isappinstalled", "scene", "clicktime", "enterid", "share_source", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"}
)
MAX_PATH_CHARS = 512
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
KEPT_PARAMETERS_ATTR = "kept_for_visitors_with"


def visitor_page(parameters=PAGE_PARAMETERS):
    """View decorator: for a visitor without a session this view's page is the same for everyone
    asking with these query parameters, so KeptVisitorPagesMiddleware may keep it."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            return view(request, *args, **kwargs)

        setattr(wrapper, KEPT_PARAMETERS_ATTR, frozenset(parameters))
        return wrapper

    return decorate


def kept_parameters(request) -> frozenset | None:
    """The query parameters the view of this address may be kept with; None: it is never kept."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return getattr(match.func, KEPT_PARAMETERS_ATTR, None)


def is_visitor_get(request) -> bool:
    """A GET from someone with no session at all (so not signed in) and no flash messages waiting,
    over HTTPS where the site insists on it."""
    return (
        request.method in ("GET", "HEAD")
        and (request.is_secure() or not settings.SECURE_SSL_REDIRECT)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and len(request.get_full_path()) <= MAX_PATH_CHARS
    )


def drop_sharing_parameters(request) -> None:
    if SHARING_PARAMETERS.isdisjoint(request.GET):
        return
    kept = request.GET.copy()
    for name in SHARING_PARAMETERS:
        kept.pop(name, None)
    query = kept.urlencode()
    request.GET = QueryDict(query)
    request.META = {**request.META, "QUERY_STRING": query}


def sorted_query(request) -> None:
    """The same parameters in another order are the same page."""
    query = "&".join(sorted(request.META.get("QUERY_STRING", "").split("&")))
    if query != request.META.get("QUERY_STRING", ""):
        request.META = {**request.META, "QUERY_STRING": query}


def shared_cache_control(response) -> None:
    patch_cache_control(response, public=True, max_age=0, s_maxage=settings.PAGE_SHARED_CACHE_SECONDS)


class KeptVisitorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled() or not is_visitor_get(request):
            return self.get_response(request)
        declared = kept_parameters(request)
        if declared is None:
            return self.get_response(request)
        drop_sharing_parameters(request)
        if not declared.issuperset(request.GET):
            return self.get_response(request)  # a referral link, say: its page repeats the address
        sorted_query(request)
        # Read before the page is rendered: a page built from rows that change meanwhile is filed
        # under the generation that change retires.
        current = generation.current()
        key = page_key("visitor", request, language=get_language_from_request(request), generation=current)
        entry = find(key)
        if entry is None:
            response = self.get_response(request)
            entry = self.keep(request, response, key, current)
            if entry is None:
                return response
        return self.answer(request, entry)

    @staticmethod
    def keep(request, response, key: str, current: int) -> dict | None:
        if request.method != "GET" or not is_plain_page(response):
            return None
        seconds = lifetime(current)
        if seconds < 1:
            return None
        shared_cache_control(response)
        content = response.content
        headers = [(name, value) for name, value in response.items() if name.lower() != "etag"]
        etag = f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"'
        return keep(key, {"content": content, "headers": headers, "etag": etag}, seconds)

    @staticmethod
    def answer(request, entry: dict) -> HttpResponse:
        response = HttpResponse(entry["content"], headers=entry["headers"])
        response["ETag"] = entry["etag"]
        if any(header in request.META for header in CONDITIONAL_HEADERS):
            return get_conditional_response(request, etag=entry["etag"], response=response)
        return response
