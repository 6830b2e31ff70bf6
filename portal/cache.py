"""Django's Redis cache, which a Redis outage cannot take the site down with.

Every operation that fails to reach Redis is logged and answered as a miss (reads give the default,
writes do nothing), so pages are built from the database and rate limits count nothing until Redis
is back. After a failure the cache stays quiet for a few seconds instead of making every request
wait for a connection timeout again. Nothing whose loss matters is kept only here: sessions live in
the database, and kept pages are filed under a content generation that lives there too
(articles/page_cache/generation.py), so a write that does not reach Redis cannot leave an old page
or a signed-out session servable.
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


class CacheUnavailable:
    """The shared state of one process: when Redis last failed and when to try again."""

    def __init__(self, retry_after: float):
        self.retry_after = retry_after
        self.down_until = 0.0
        self.lock = threading.Lock()

    def is_down(self) -> bool:
        return time.monotonic() < self.down_until

    def failed(self, error: Exception, operation: str) -> None:
        with self.lock:
            first = not self.is_down()
            self.down_until = time.monotonic() + self.retry_after
        if first:
            logger.error("Redis cache unavailable (%s: %s); serving without it for %ss", operation, error, self.retry_after)


def resilient(operation: str, fallback):
    """Wrap a RedisCache method: while Redis is down, answer `fallback(*args, **kwargs)` instead."""

    def wrap(method):
        def guarded(self, *args, **kwargs):
            if self.outage.is_down():
                return fallback(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as error:
                self.outage.failed(error, operation)
                return fallback(*args, **kwargs)

        guarded.__name__ = method.__name__
        guarded.__doc__ = method.__doc__
        return guarded

    return wrap


def default_of(key, default=None, version=None):
    return default


def incr_unavailable(key, delta=1, version=None):
    # What Django's incr does for a missing key; callers already handle it by setting the key.
    raise ValueError(f"Key '{key}' not found (cache unavailable)")


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.get("OPTIONS", {})
        retry_after = float(options.pop("RETRY_AFTER_SECONDS", 5))
        # Fail fast: a down Redis costs a request a fraction of a second, once per retry period.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        self.outage = CacheUnavailable(retry_after)

    get = resilient("get", default_of)(RedisCache.get)
    set = resilient("set", lambda *a, **k: None)(RedisCache.set)
    # "Added": callers that take a lock with add() (allauth's rate limiter) go ahead instead of
    # waiting for a lock that can never be taken, so limits fail open rather than refusing everyone.
    add = resilient("add", lambda *a, **k: True)(RedisCache.add)
    touch = resilient("touch", lambda *a, **k: False)(RedisCache.touch)
    delete = resilient("delete", lambda *a, **k: False)(RedisCache.delete)
    get_many = resilient("get_many", lambda *a, **k: {})(RedisCache.get_many)
    set_many = resilient("set_many", lambda *a, **k: [])(RedisCache.set_many)
    delete_many = resilient("delete_many", lambda *a, **k: None)(RedisCache.delete_many)
    has_key = resilient("has_key", lambda *a, **k: False)(RedisCache.has_key)
    incr = resilient("incr", incr_unavailable)(RedisCache.incr)
    clear = resilient("clear", lambda *a, **k: False)(RedisCache.clear)

    def get_or_set(self, key, default, timeout=None, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            if value is not None:
                self.add(key, value, timeout=timeout, version=version)
        return value

    def is_available(self) -> bool:
        """For /healthz: a real round trip, ignoring the quiet period."""
        try:
            RedisCache.get(self, "healthz:ping")  # the method itself, not the quiet wrapper above
            return True
        except UNAVAILABLE as error:
            self.outage.failed(error, "ping")
            return False
