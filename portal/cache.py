"""A Redis cache that a Redis outage cannot take the site down with.

Every operation that fails to reach Redis is logged and answered as a miss (reads give the default,
writes do nothing), so pages are built from the database, sessions fall back to their database
copy, and rate limits count nothing until Redis is back. After a failure the cache stays quiet for
a few seconds instead of making every request wait for a connection timeout again.
"""

import logging
import os
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
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


class _KeptConnection(threading.local):
    connection = None
    pid = 0


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis.Redis object for every cache operation, and building one
    (its table of response callbacks) costs more Python than the round trip to Redis. A redis.Redis
    object is safe to share between threads (each command borrows a pooled connection), so keep one
    per connection pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._kept = _KeptConnection()

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client

    def get_many(self, keys):
        """MGET on a connection of this thread's own (every kept page asks it): redis-py's command
        machinery and its pool's checks and bookkeeping cost more Python than the round trip. The
        connection has the pool's settings (address, credentials, database, timeouts) but is not
        the pool's, so nothing else ever reads from it; any error drops it. One that Redis closed
        meanwhile (a restart, an idle timeout) is replaced and the command sent once more, as
        redis-py's own retry would."""
        keys = list(keys)
        packed = None
        for attempt in (1, 2):
            connection = self._read_connection()
            try:
                if packed is None:
                    packed = connection.pack_command("MGET", *keys)
                connection.send_packed_command(packed, check_health=False)
                values = connection.read_response()
                break
            except (RedisConnectionError, RedisTimeoutError, OSError):
                self._drop_read_connection()
                if attempt == 2:
                    raise
            except BaseException:
                # Interrupted mid-answer (a worker timeout, say): the rest of it must never be read
                # as the answer to the next command.
                self._drop_read_connection()
                raise
        return {key: self._serializer.loads(value) for key, value in zip(keys, values, strict=True) if value is not None}

    def _read_connection(self):
        kept = self._kept
        if kept.connection is None or kept.pid != os.getpid():
            # A connection inherited through fork() belongs to the parent: never share its socket.
            pool = self._get_connection_pool(False)
            kept.connection = pool.connection_class(**pool.connection_kwargs)
            kept.pid = os.getpid()
        return kept.connection

    def _drop_read_connection(self):
        connection, self._kept.connection = self._kept.connection, None
        if connection is not None:
            connection.disconnect()


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.get("OPTIONS", {})
        retry_after = float(options.pop("RETRY_AFTER_SECONDS", 5))
        # Fail fast: a down Redis costs a request a fraction of a second, once per retry period.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusingRedisCacheClient
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
            return bool(self._cache.get_client(write=False).ping())
        except UNAVAILABLE as error:
            self.outage.failed(error, "ping")
            return False
