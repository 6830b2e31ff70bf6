"""Where a kept page is filed, and for how long it may stay."""

import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from articles.models import Article

NEXT_PUBLICATION_KEY = "pages:next-publication:{generation}"
A_DAY = 86400.0


def kept_pages():
    """The cache kept pages live in (settings.PAGE_CACHE_ALIAS)."""
    return caches[settings.PAGE_CACHE_ALIAS]


def kept_here():
    """This process's own copy of the kept pages it answers most (settings.PAGE_CACHE_LOCAL_ALIAS):
    no round trip to the shared cache. Safe for the same reason the shared entries are: they are
    filed under the content generation, which every process reads from the database."""
    return caches[settings.PAGE_CACHE_LOCAL_ALIAS]


def find(key: str) -> dict | None:
    """A kept entry: this process's copy, else the shared cache's (then copied here)."""
    entry = kept_here().get(key)
    if entry is None:
        entry = kept_pages().get(key)
        if entry is not None:
            keep_here(key, entry)
    return entry


def keep(key: str, entry: dict, seconds: int) -> dict:
    """File the entry in the shared cache and here for `seconds`; it remembers when it expires, so
    a later copy here does not outlive it."""
    entry = {**entry, "expires": time.time() + seconds}
    kept_pages().set(key, entry, timeout=seconds)
    keep_here(key, entry)
    return entry


def keep_here(key: str, entry: dict) -> None:
    seconds = int(entry["expires"] - time.time())
    if seconds >= 1:
        kept_here().set(key, entry, timeout=seconds)


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def page_key(kind: str, request, *, language: str, generation: int) -> str:
    """One entry per kind of page, generation, language and address (path and query string)."""
    address = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"page:{generation}:{kind}:{language}:{address}"


def lifetime(generation: int) -> int:
    """PAGE_CACHE_SECONDS, but never past the next scheduled publication, so that an article
    scheduled for 9:00 appears at 9:00 (0: keep nothing now)."""
    return int(min(settings.PAGE_CACHE_SECONDS, seconds_until_next_publication(generation)))


def seconds_until_next_publication(generation: int) -> float:
    """Until the next scheduled article goes live (asked once per generation), or a day if none is due."""
    key = NEXT_PUBLICATION_KEY.format(generation=generation)
    cache = kept_pages()
    moment = cache.get(key)
    if moment is None:
        upcoming = (
            Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        moment = upcoming.timestamp() if upcoming else 0
        cache.set(key, moment, timeout=settings.PAGE_CACHE_SECONDS)
    return moment - time.time() if moment else A_DAY


def is_plain_page(response) -> bool:
    """A complete 200 page that sets no cookie and that no one marked as personal."""
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
    )
