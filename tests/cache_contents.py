"""Everything the default cache holds, as text: for tests that prove what it never holds."""

import pickle

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache


def _text(value) -> str:
    try:
        return str(pickle.loads(value))
    except Exception:  # noqa: BLE001  (not a pickle: its bytes still count)
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def cached_texts() -> list[str]:
    if isinstance(cache._cache, dict) or isinstance(cache, LocMemCache):
        return [_text(value) for value in cache._cache.values()]
    client = cache._cache.get_client(write=False)
    prefix = cache.make_key("")
    return [_text(client.get(key)) for key in client.scan_iter(match=f"{prefix}*")]
