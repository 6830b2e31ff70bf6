"""Rendered reader pages kept in the shared cache (Redis in production), so a popular article costs
one cache read instead of a dozen queries and a template render.

What is kept, and why no paid sentence can come out of it:

- **Whole pages for visitors without a session** (no session cookie, so certainly nobody signed
  in): home, categories, columns, articles, tags, authors, search, sitemaps and robots.txt. These
  pages only ever hold what anyone may read; the leak crawl proves it for every one of them.
- **Skeletons of article pages for signed-in readers who read them in full.** A skeleton is the
  page with a hole where the article's text goes: it is rendered with a placeholder instead of the
  text, so the cache never holds a paid sentence at all. Each request checks access afresh
  (`can_read_in_full`, one query that also loads the text from the database) and only then fills
  the hole. Nothing personal is in a skeleton: the signed-in header is the same for everyone
  (no name, no email), and pages that say anything about one reader (a paywall naming an expired
  membership, flash messages, My columns, orders) are never kept.
- CSRF tokens are holes too, filled per request, so every visitor gets their own.

Freshness: every entry records the content *generation* it was built in. Saving or deleting
anything a page shows (articles, columns, sections, authors, categories, tags, plans) or finishing
an import starts a new generation after the transaction commits, which retires every entry at
once on every node. Entries also expire after PAGE_CACHE_SECONDS, and never outlive the next
scheduled publication, so an article scheduled for 9:00 appears at 9:00. Reader counts on column
cards may lag by up to PAGE_CACHE_SECONDS.

While the cache is unavailable nothing is kept and every page is rendered as usual.
"""

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language

from portal.csrf import masked_token, renew_csrf_cookie

GENERATION_KEY = "pages:generation"
NEXT_PUBLICATION_KEY = "pages:next-publication:{generation}"
CAPTURE_ATTR = "_page_cache_capture"
# Query parameters a cached page may carry. Anything else (a referral code, say) is rendered afresh,
# because the page repeats its own address in its login and language links.
PAGE_PARAMETERS = frozenset({"page"})
SEARCH_PARAMETERS = frozenset({"q", "page", "column"})
SITEMAP_PARAMETERS = frozenset({"p"})
# What WeChat, Weibo and campaign links append when an article is shared: harmless, and without them
# every shared link would miss the cache.
SHARING_PARAMETERS = frozenset(
    {"from", "isappinstalled", "scene", "clicktime", "enterid", "share_source", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"}
)
MAX_PATH_CHARS = 512
CONDITIONAL_HEADERS = frozenset({"HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE"})
# Headers a view sets that belong to the page itself, so a kept copy carries them too (the sitemap
# view's X-Robots-Tag, say); every other header is the middleware's, added to each response anew.
KEPT_HEADERS = ("X-Robots-Tag",)


@functools.cache
def hole(name: str) -> str:
    """A placeholder no author can type: derived from SECRET_KEY, the same on every node."""
    return "pagehole" + salted_hmac("articles.page_cache.hole", name).hexdigest()[:24]


def holes(request):
    """Template context processor: while a page is being captured its CSRF tokens are holes."""
    if getattr(request, CAPTURE_ATTR, False):
        return {"csrf_token": hole("csrf")}
    return {}


def enabled() -> bool:
    return getattr(settings, "PAGE_CACHE_SECONDS", 0) > 0


def pages_changed() -> None:
    """Retire every kept page: now, so this transaction's own requests see the change, and again
    once it commits, so a page another request built from the old rows meanwhile is retired too."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _new_generation() -> None:
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def current_generation():
    """The content generation, started if there is none; None while the cache is unavailable."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def is_anonymous_visit(request, parameters=PAGE_PARAMETERS) -> bool:
    """A GET from someone with no session at all (so not signed in), no flash messages waiting,
    and only query parameters the page may repeat to everyone."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in request.COOKIES
        and len(request.get_full_path()) <= MAX_PATH_CHARS
        and all(name in parameters or name in SHARING_PARAMETERS for name in request.GET)
    )


def is_signed_in_get(request) -> bool:
    """A GET with a session (perhaps a signed-in reader) whose address a kept skeleton may repeat."""
    return (
        enabled()
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME in request.COOKIES
        and len(request.get_full_path()) <= MAX_PATH_CHARS
        and all(name in PAGE_PARAMETERS or name in SHARING_PARAMETERS for name in request.GET)
    )


def has_messages(request) -> bool:
    """Flash messages are waiting: the page shows them, so it is rendered, never a kept one."""
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.messages.storage.session import SessionStorage

    storage = getattr(request, "_messages", None)
    if type(storage) is FallbackStorage and not storage._queued_messages:
        # Where Django's default storage keeps them, looked at without loading (and decoding) them.
        return CookieStorage.cookie_name in request.COOKIES or SessionStorage.session_key in request.session
    return bool(len(get_messages(request)))


def _unloaded_session_cache_key(request) -> str | None:
    """The cache key of the request's session while it is still unloaded and kept in this cache
    (cached_db sessions): it can then come back in the page lookup's round trip."""
    session = getattr(request, "session", None)
    if session is None or hasattr(session, "_session_cache") or not session.session_key:
        return None
    if getattr(session, "_cache", None) is not caches["default"]:
        return None  # not a cache-backed session, or kept in another cache than the pages
    return getattr(session, "cache_key", None)


def version_of(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def page_key(variant: str, request) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"page:{variant}:{get_language()}:{path}"


class Lookup:
    """The answer of one cache round trip: the generation and, if still good, the entry."""

    def __init__(self, key: str, request=None):
        """With a request whose session is not loaded yet, the session comes in the same round trip
        (what SessionStore.load() would have read from the cache first)."""
        self.key = key
        session_key = _unloaded_session_cache_key(request) if request is not None else None
        values = cache.get_many([GENERATION_KEY, key, *([session_key] if session_key else [])])
        if session_key and values.get(session_key) is not None:
            request.session._session_cache = values[session_key]
        self.generation = values.get(GENERATION_KEY)
        if self.generation is None:
            self.generation = current_generation()
        entry = values.get(key)
        fresh = entry is not None and entry["generation"] == self.generation and entry["expires"] > time.time()
        self.entry = entry if fresh else None

    def store(self, response) -> dict | None:
        """Keep a captured 200 response (it must set no cookie of its own); return the entry."""
        if self.generation is None or response.status_code != 200 or response.cookies or response.streaming:
            return None
        lifetime = min(settings.PAGE_CACHE_SECONDS, seconds_until_next_publication(self.generation))
        if lifetime < 1:
            return None
        content = response.content.decode(response.charset)
        entry = {
            "generation": self.generation,
            "expires": time.time() + lifetime,
            "content": content,
            "content_type": response["Content-Type"],
            "headers": {name: response[name] for name in KEPT_HEADERS if name in response},
            "etag": hashlib.md5(content.encode(), usedforsecurity=False).hexdigest(),
        }
        cache.set(self.key, entry, timeout=int(lifetime) + 1)
        return entry


def seconds_until_next_publication(generation) -> float:
    """Until the next scheduled article goes live (kept per generation), or a day if none is due."""
    key = NEXT_PUBLICATION_KEY.format(generation=generation)
    moment = cache.get(key)
    if moment is None:
        from articles.models import Article

        upcoming = (
            Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        moment = upcoming.timestamp() if upcoming else 0
        cache.set(key, moment, timeout=settings.PAGE_CACHE_SECONDS)
    return moment - time.time() if moment else 86400.0


def respond(request, entry: dict, *, body: str | None = None, body_version: str = "") -> HttpResponse:
    """The kept page for this request: its own CSRF token, the article text in the body hole,
    and a 304 when the reader's copy is still current."""
    content = entry["content"]
    if body is not None:
        before, after = content.split(hole("body"), 1)
        content = before + body + after
    csrf_hole, secret = hole("csrf"), ""
    if csrf_hole in content:
        content = content.replace(csrf_hole, masked_token(request))
        # The reader's copy holds their CSRF token, which is only good while their CSRF cookie stays.
        secret = request.META.get("CSRF_COOKIE", "")
    tag = hashlib.md5(f"{entry['etag']}|{body_version}|{secret}".encode(), usedforsecurity=False).hexdigest()
    response = HttpResponse(content, content_type=entry["content_type"], headers=entry.get("headers"))
    response["ETag"] = f'W/"{tag}"'
    if secret:
        renew_csrf_cookie(request, response)
    if not any(header in request.META for header in CONDITIONAL_HEADERS):
        return response  # nothing to compare (most requests): skip parsing four absent headers
    return get_conditional_response(request, etag=response["ETag"], response=response)


def capture(request, view, *args, **kwargs):
    """Render the view with CSRF holes instead of tokens (a TemplateResponse is rendered here too)."""
    setattr(request, CAPTURE_ATTR, True)
    try:
        response = view(request, *args, **kwargs)
        if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
            response.render()
        return response
    finally:
        setattr(request, CAPTURE_ATTR, False)


def fill_holes(request, response):
    """A captured response that was not kept still goes out with a real CSRF token."""
    if response.streaming or response.status_code in (301, 302, 304):
        return response
    charset = response.charset
    content = response.content.decode(charset)
    csrf_hole = hole("csrf")
    if csrf_hole in content:
        response.content = content.replace(csrf_hole, get_token(request)).encode(charset)
    return response


def anonymous_page(parameters=PAGE_PARAMETERS):
    """View decorator: visitors without a session get the kept page; the first one renders it."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not enabled() or not is_anonymous_visit(request, parameters):
                return view(request, *args, **kwargs)
            lookup = Lookup(page_key("anonymous", request))
            if lookup.entry is not None:
                return respond(request, lookup.entry)
            if lookup.generation is None:
                return view(request, *args, **kwargs)
            response = capture(request, view, *args, **kwargs)
            entry = lookup.store(response)
            return respond(request, entry) if entry else fill_holes(request, response)

        return wrapper

    return decorate
