"""Which shared cache for the embedded default (no Redis): Django's file-based cache or its
database cache, against the local-memory cache each worker would otherwise keep to itself.

    .venv/bin/python bench/cache_backends.py [--rounds 2000]

Times, on a fresh SQLite database and a temporary directory, what the portal asks of its cache:
reading a kept page (about 30 KB of HTML) and storing one, and a rate limit's add and incr. Each
figure is the median of --rounds operations, in microseconds.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(operation, rounds: int) -> float:
    samples = []
    for number in range(rounds):
        started = time.perf_counter()
        operation(number)
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"sqlite:///{workdir / 'cache.sqlite3'}",
        REDIS_URL="",
        DJANGO_CACHE_DIR=str(workdir / "files"),
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command

    settings.CACHES = {
        "files": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(workdir / "files"), "OPTIONS": {"MAX_ENTRIES": 10_000}},
        "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "bench_cache", "OPTIONS": {"MAX_ENTRIES": 10_000}},
        "local memory (per worker)": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 10_000}},
    }
    call_command("createcachetable", verbosity=0)
    page = {"content": ("<p>" + "会员文章的一段正文。" * 100 + "</p>\n").encode() * 10, "headers": [("Content-Type", "text/html; charset=utf-8")] * 8}
    print(f"kept page {len(page['content']) / 1024:.0f} KB; medians of {args.rounds} operations, µs")
    print(f"{'cache':<28} {'page get':>9} {'page set':>9} {'miss':>7} {'add':>7} {'incr':>7}")
    for name in settings.CACHES:
        cache = caches[name]
        for number in range(200):
            cache.set(f"page:{number}", page, 300)
        figures = (
            timed(lambda n, cache=cache: cache.get(f"page:{n % 200}"), args.rounds),
            timed(lambda n, cache=cache: cache.set(f"new-page:{n}", page, 300), args.rounds),
            timed(lambda n, cache=cache: cache.get(f"absent:{n}"), args.rounds),
            timed(lambda n, cache=cache: cache.add(f"limit:{n}", 1, 60), args.rounds),
            timed(lambda n, cache=cache: cache.incr(f"limit:{n}"), args.rounds),
        )
        print(f"{name:<28} " + " ".join(f"{value:>{width}.0f}" for value, width in zip(figures, (9, 9, 7, 7, 7), strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
