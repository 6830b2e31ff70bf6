"""Everything the default cache holds, as text: for tests that prove what it never holds.

Read from where the backend stores it (the cache's files, or Redis through a client of its own),
never through the backend's private attributes. Each process's own copies of visitor pages
(settings.PAGE_CACHE_LOCAL_ALIAS) are only ever copies of entries the default cache holds."""

import pickle
import zlib
from pathlib import Path

from django.conf import settings
from django.core.cache import cache


def _text(value: bytes) -> str:
    try:
        return str(pickle.loads(value))
    except Exception:  # noqa: BLE001  (not a pickle: its bytes still count)
        return value.decode("utf-8", "replace")


def _file_values(location: str) -> list[bytes]:
    values = []
    for path in Path(location).glob("*.djcache"):
        with path.open("rb") as stored:
            pickle.load(stored)  # the expiry time, then the compressed value
            values.append(zlib.decompress(stored.read()))
    return values


def _redis_values(location: str) -> list[bytes]:
    import redis

    client = redis.Redis.from_url(location)
    prefix = cache.make_key("")
    return [client.get(key) or b"" for key in client.scan_iter(match=f"{prefix}*")]


def cached_texts() -> list[str]:
    backend = settings.CACHES["default"]
    location = backend["LOCATION"]
    if backend["BACKEND"].endswith("FileBasedCache"):
        return [_text(value) for value in _file_values(location)]
    return [_text(value) for value in _redis_values(location)]
