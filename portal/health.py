"""/healthz for load balancers: is the database answering, and the cache?

The database is required (503 without it: take this node out of rotation); the cache is not
(the site serves uncached while Redis is down), so its failure is reported but still answers 200.
"""

import logging
import time

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("Health check: database unavailable: %s", error)
        return "unavailable"
    return "ok"


def cache_status() -> str:
    check = getattr(cache, "is_available", None)
    if check is not None:
        return "ok" if check() else "unavailable"
    try:
        cache.set("healthz", "ok", 10)
        return "ok" if cache.get("healthz") == "ok" else "unavailable"
    except Exception as error:  # noqa: BLE001 - any cache failure is a status, not a crash
        logger.error("Health check: cache unavailable: %s", error)
        return "unavailable"


@never_cache
def healthz(request):
    started = time.monotonic()
    checks = {"database": database_status(), "cache": cache_status()}
    healthy = checks["database"] == "ok"
    body = {"status": "ok" if healthy else "unavailable", **checks, "ms": round((time.monotonic() - started) * 1000, 1)}
    return JsonResponse(body, status=200 if healthy else 503)


def bench_bare(request):
    """The ceiling bench/web.py measures pages against: Django's whole stack, no work in the view.
    Routed only when DJANGO_BENCH_BARE_VIEW is on."""
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")


def bench_bare_signed_in(request):
    """The floor under every page of a signed-in reader, beside that ceiling: the same empty view,
    but it asks who is signed in, as each such page does (the session's row, then the user's).
    Routed only when DJANGO_BENCH_BARE_VIEW is on."""
    from django.http import HttpResponse

    return HttpResponse(b"yes" if request.user.is_authenticated else b"no", content_type="text/plain")
