"""Throughput and latency of the portal's pages, as ratios to two ceilings under the same gunicorn.

    make bench                       # or: .venv/bin/python bench/web.py [--duration 10] [--reuse]

Loads 2,000 generated xiaobot columns (about 20,000 articles, bench/import_xiaobot.py's pages)
through the import service into PostgreSQL (SQLite when PostgreSQL does not answer) with Redis as
the cache when it answers, then serves the portal with portal/gunicorn.conf.py and production
settings (DJANGO_DEBUG off). The bare view is `/bench/bare/`, a view that returns a constant
response through the same settings, middleware and gunicorn configuration: the ceiling of this
machine. wrk (Debian's package) loads each page in turn at --connections concurrent connections,
in --rounds rounds of "bare view, every page, bare view", each started once the server has
answered what the one before left queued (bench/processes.py); a page's ratio in a round is to the bare
view around it, and the table shows the medians, with the CPU that gunicorn, PostgreSQL and Redis
spent per request meanwhile (from /proc: where a page's cost goes). Then, with worker recycling off, every worker
serves at least 10,000 requests and its resident memory is read.

A third reference row, "bare, stack, signed in", is that empty view asked with the bench member's
session: the view asks who is signed in, so Django's session and authentication middleware read
the session's row and the user's, as they do for every page of a signed-in reader. No page of a
signed-in reader can be faster; the member's article page is that plus the article and the access
rule.

Search is measured twice: as visitors ask it at 32 connections (their result pages are kept in the
cache like other pages, articles/page_cache.py), and as a signed-in reader asks it, never kept, one
request at a time: the latency of a search itself, which the p95 budget is about.

Budgets (from the issue): throughput ratios, p99 at 32 connections, search p95 on PostgreSQL, RSS.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.processes import CPU_GROUPS, CPU_KEYS, cpu_ticks, rss_mb, wait_until_idle, worker_pids  # noqa: E402

# Ratios to the bare app with no middleware, and p99 at 32 connections (issue 17).
RATIO_BUDGETS = {"article, member": 0.25, "article, anonymous": 0.60, "home": 0.60, "column": 0.60}
P99_BUDGETS_MS = {"article, member": 100.0, "article, anonymous": 50.0, "home": 50.0, "column": 50.0, "search": 100.0}
SEARCH_P95_BUDGET_MS = 50.0
RSS_BUDGET_MB = 150.0
SEARCH_LATENCY_PAGE = "search, signed in, 1 conn"
REQUESTS_PER_WORKER = 10_000
BARE_APP = "bare, no middleware"
BARE_STACK = "bare, portal stack"
# The same empty view asking who is signed in: what any page of a signed-in reader costs at least.
SIGNED_IN_FLOOR = "bare, stack, signed in"
SEARCH_WORDS = ["变现", "提示词", "模型", "短视频", "工作流", "选题", "复盘", "案例", "入门", "效率"]
LOAD_RESULT = "BENCH-LOAD "
PG_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"
REDIS_URL = "redis://127.0.0.1:6379/13"


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def bench_environment(args, workdir: Path) -> dict:
    database_url = args.database_url or (PG_URL if answers("127.0.0.1", 5432) else f"sqlite:///{workdir / 'bench.sqlite3'}")
    redis_url = args.redis_url if args.redis_url is not None else (REDIS_URL if answers("127.0.0.1", 6379) else "")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_CACHE_PREFIX": "bench",
        "DJANGO_CACHE_DIR": str(workdir / "cache"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SITE_URL": f"http://127.0.0.1:{args.port}",
        # Plain HTTP on localhost: no TLS redirect, no secure-only cookies.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_PAYMENTS_SANDBOX": "0",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_BENCH_BARE_VIEW": "1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1",
        "PORT": str(args.port),
        "GUNICORN_ACCESS_LOG": "/dev/null",
        # Recycling would hide a leak from the memory measurement.
        "GUNICORN_MAX_REQUESTS": "0",
    }


def reset_postgres(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def load(pages: int) -> dict:
    """In the bench environment: migrate, import the generated columns, make a member."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from articles.importers import service
    from articles.models import Article, Column
    from bench.import_xiaobot import generate_pages
    from members.services import membership_grant

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    if Article.objects.count() == 0:
        uploads = [service.Upload(page.filename, page.text.encode()) for page in generate_pages(pages)]
        report = service.import_uploads(uploads=uploads, options=service.ImportOptions(), dry_run=False)
        if not report.ok:
            raise SystemExit(f"the import failed: {[file.error for file in report.failed][:3]}")
    Column.objects.update(status=Column.Status.PUBLISHED)
    loaded_seconds = time.perf_counter() - started
    if django.db.connection.vendor == "postgresql":
        # What autovacuum does within a minute or two of a large import (the site as it runs, not
        # in the minute after an import): planner statistics, the GIN indexes' pending lists merged,
        # the visibility map set for index-only scans.
        with django.db.connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    from django.contrib.auth import get_user_model

    article = Article.objects.filter(access=Article.Access.MEMBERS, has_more=True).order_by("pk").first()
    member, _ = get_user_model().objects.get_or_create(username="bench-member", defaults={"email": "bench-member@example.com"})
    membership_grant(user=member, column=article.column, source="complimentary", lifetime=True, note="bench")
    client = Client()
    client.force_login(member)
    # What a signed-in browser sends back: its session and the CSRF cookie its first page set.
    client.get(article.get_absolute_url(), HTTP_HOST="127.0.0.1")
    return {
        "columns": Column.objects.count(),
        "articles": Article.objects.count(),
        "load_seconds": round(loaded_seconds, 1),
        "article": article.get_absolute_url(),
        "column": article.column.get_absolute_url(),
        "cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={client.cookies['csrftoken'].value}",
        "vendor": django.db.connection.vendor,
    }


def wait_until_up(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz within a minute")


def wrk(base: str, paths: list[str], *, duration: float, connections: int, cookie: str = "") -> dict:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "5s", "-s", str(ROOT / "bench" / "wrk_report.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command += [base + paths[0], "--", *paths]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK-RESULT "))
    result = json.loads(line.removeprefix("WRK-RESULT "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def measured_wrk(master: int, base: str, paths: list[str], **options) -> dict:
    """wrk's result with the CPU each group spent per request meanwhile (µs), measured from an idle server."""
    wait_until_idle(master)
    before = cpu_ticks(master)
    result = wrk(base, paths, **options)
    after = cpu_ticks(master)
    per_tick = 1e6 / os.sysconf("SC_CLK_TCK") / max(result["requests"], 1)
    result.update({f"cpu_{group}": (after[group] - before[group]) * per_tick for group in CPU_GROUPS})
    return result


def check_url(base: str, path: str, cookie: str = "") -> None:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}; the benchmark would measure an error page")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8, help="seconds per measurement (default 8)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="measurement rounds; the table shows medians (default 3)")
    parser.add_argument("--pages", type=int, default=2000, help="generated xiaobot pages to import (default 2000)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reuse", action="store_true", help="keep the bench database of a previous run instead of reloading")
    parser.add_argument("--database-url", default="", help=f"default {PG_URL} when PostgreSQL answers, else SQLite")
    parser.add_argument("--redis-url", default=None, help=f"default {REDIS_URL} when Redis answers; '' for none")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.load:
        print(LOAD_RESULT + json.dumps(load(args.pages)))
        return 0
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk (make bench installs it)", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench-web-"))
    environment = bench_environment(args, workdir)
    if environment["DATABASE_URL"].startswith("postgres") and not args.reuse:
        reset_postgres(environment["DATABASE_URL"])
    print(f"database {environment['DATABASE_URL']}, cache {environment['REDIS_URL'] or 'files'}; loading {args.pages} columns…", flush=True)
    if environment["REDIS_URL"]:
        import redis

        redis.Redis.from_url(environment["REDIS_URL"]).flushdb()
    loaded = subprocess.run(
        [sys.executable, __file__, "--load", "--pages", str(args.pages)], env=environment, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    site = json.loads(next(line for line in loaded.splitlines() if line.startswith(LOAD_RESULT)).removeprefix(LOAD_RESULT))
    print(f"{site['columns']} columns, {site['articles']} articles on {site['vendor']} (loaded in {site['load_seconds']} s)", flush=True)

    base = f"http://127.0.0.1:{args.port}"
    bare_base = f"http://127.0.0.1:{args.port + 1}"
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "--config", "portal/gunicorn.conf.py"]
    server = subprocess.Popen([*gunicorn, "portal.wsgi"], env=environment, cwd=ROOT)
    bare_server = subprocess.Popen([*gunicorn, "bench.bare_app:application"], env={**environment, "PORT": str(args.port + 1)}, cwd=ROOT)
    try:
        wait_until_up(base)
        wait_until_up(bare_base)
        search = [f"/search/?q={urllib.request.quote(word)}" for word in SEARCH_WORDS]
        many = args.connections
        targets = [
            (SIGNED_IN_FLOOR, ["/bench/bare/signed-in/"], site["cookie"], many),
            ("article, member", [site["article"]], site["cookie"], many),
            ("article, anonymous", [site["article"]], "", many),
            ("home", ["/"], "", many),
            ("column", [site["column"]], "", many),
            # Visitors' searches are kept pages like the others once asked …
            ("search", search, "", many),
            # … a signed-in reader's search is never kept: this is the search itself, one at a time.
            (SEARCH_LATENCY_PAGE, search, site["cookie"], 1),
        ]
        for _, paths, cookie, _connections in targets:
            check_url(base, paths[0], cookie)
        if urllib.request.urlopen(urllib.request.Request(base + "/bench/bare/signed-in/", headers={"Cookie": site["cookie"]})).read() != b"yes":
            raise SystemExit("the bench member is not signed in: the signed-in rows would measure a visitor")
        member_page = urllib.request.urlopen(urllib.request.Request(base + site["article"], headers={"Cookie": site["cookie"]})).read().decode()
        if "paywall" in member_page and 'class="paywall' in member_page:
            raise SystemExit("the member sees the paywall: the benchmark would not measure a full article")
        ceilings = {BARE_APP: (bare_server.pid, bare_base), BARE_STACK: (server.pid, base)}
        for _master, address in ceilings.values():
            wrk(address, ["/bench/bare/"], duration=2, connections=args.connections)  # warm up
        for _, paths, cookie, _connections in targets:
            wrk(base, paths, duration=2, connections=args.connections, cookie=cookie)

        # Rounds of: both ceilings, every page, both ceilings. Each page's ratio in a round is to
        # the mean of a ceiling just before and just after it; the table shows medians over
        # rounds, because a shared 2-core machine drifts by 20 % or more within a minute.
        def ceiling_runs():
            return {
                name: measured_wrk(master, address, ["/bench/bare/"], duration=args.duration, connections=args.connections)
                for name, (master, address) in ceilings.items()
            }

        rounds = []
        for number in range(1, args.rounds + 1):
            before = ceiling_runs()
            measured = {
                name: measured_wrk(server.pid, base, paths, duration=args.duration, connections=connections, cookie=cookie)
                for name, paths, cookie, connections in targets
            }
            after = ceiling_runs()
            for name in ceilings:
                runs = (before[name], after[name])
                measured[name] = {
                    "rps": statistics.mean(r["rps"] for r in runs), "requests": sum(r["requests"] for r in runs),
                    **{key: statistics.mean(r[key] for r in runs) for key in ("p50_ms", "p95_ms", "p99_ms", *CPU_KEYS)},
                    "non_2xx": sum(r["non_2xx"] for r in runs), "socket_errors": sum(r["socket_errors"] for r in runs),
                }  # fmt: skip
            for name in measured:
                measured[name]["ratio"] = measured[name]["rps"] / measured[BARE_APP]["rps"]
                measured[name]["ratio_stack"] = measured[name]["rps"] / measured[BARE_STACK]["rps"]
            rounds.append(measured)
            print(
                f"round {number}: {BARE_APP} {measured[BARE_APP]['rps']:.0f} req/s, {BARE_STACK} {measured[BARE_STACK]['rps']:.0f} req/s; "
                + ", ".join(f"{name} {measured[name]['ratio']:.2f}" for name, *_ in targets),
                flush=True,
            )
        order = [BARE_APP, BARE_STACK, *(name for name, *_ in targets)]
        results = {
            name: {
                **{key: statistics.median(r[name][key] for r in rounds) for key in ("rps", "ratio", "ratio_stack", "p50_ms", "p95_ms", "p99_ms", *CPU_KEYS)},
                **{key: sum(r[name][key] for r in rounds) for key in ("requests", "non_2xx", "socket_errors")},
            }
            for name in order
        }

        failures = []
        print(f"\nmedians of {args.rounds} rounds of {args.duration:g} s; {args.connections} connections unless noted")
        print(f"ratio: to the {BARE_APP} app (the budgets); stack: to the {BARE_STACK} view")
        print(f"{'':<28} {'':>8} {'':>6} {'':>6} {'':>7} {'':>7} {'':>7}  {'CPU µs per request':^20}")
        print(f"{'page':<28} {'req/s':>8} {'ratio':>6} {'stack':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  {'web':>6} {'pg':>6} {'redis':>6}  budget")
        for name, result in results.items():
            ratio = result["ratio"]
            budget = []
            if name in RATIO_BUDGETS:
                budget.append(f"ratio ≥ {RATIO_BUDGETS[name]:.2f}")
                if ratio < RATIO_BUDGETS[name]:
                    failures.append(f"{name}: ratio {ratio:.2f} < {RATIO_BUDGETS[name]:.2f}")
            if name in P99_BUDGETS_MS:
                budget.append(f"p99 ≤ {P99_BUDGETS_MS[name]:.0f}")
                if result["p99_ms"] > P99_BUDGETS_MS[name]:
                    failures.append(f"{name}: p99 {result['p99_ms']:.0f} ms > {P99_BUDGETS_MS[name]:.0f} ms")
            if name == SEARCH_LATENCY_PAGE and site["vendor"] == "postgresql":
                budget.append(f"p95 ≤ {SEARCH_P95_BUDGET_MS:.0f}")
                if result["p95_ms"] > SEARCH_P95_BUDGET_MS:
                    failures.append(f"{name}: p95 {result['p95_ms']:.0f} ms > {SEARCH_P95_BUDGET_MS:.0f} ms")
            if result["non_2xx"] or result["socket_errors"]:
                failures.append(f"{name}: {result['non_2xx']} non-2xx answers, {result['socket_errors']} socket errors")
            print(
                f"{name:<28} {result['rps']:>8.0f} {ratio:>6.2f} {result['ratio_stack']:>6.2f} {result['p50_ms']:>7.1f} {result['p95_ms']:>7.1f} {result['p99_ms']:>7.1f}  "
                + " ".join(f"{result[key]:>6.0f}" for key in CPU_KEYS)
                + f"  {', '.join(budget)}"
            )

        if not args.skip_memory:
            workers = worker_pids(server.pid)
            served = sum(result["requests"] for result in results.values())
            needed = REQUESTS_PER_WORKER * len(workers) - served
            mix = [site["article"], "/", site["column"], *search[:3]]
            while needed > 0:
                needed -= wrk(base, mix, duration=10, connections=args.connections)["requests"]
                needed -= wrk(base, [site["article"]], duration=5, connections=args.connections, cookie=site["cookie"])["requests"]
            memory = {pid: rss_mb(pid) for pid in worker_pids(server.pid)}
            if sorted(memory) != sorted(workers):
                failures.append("a worker was replaced during the run; its memory was not measured over 10,000 requests")
            biggest = max(memory.values())
            print(
                f"\nworkers: {len(memory)}, each after ≥ {REQUESTS_PER_WORKER:,} requests on average: RSS "
                + ", ".join(f"{mb:.0f}" for mb in memory.values())
                + " MB"
            )
            if biggest > RSS_BUDGET_MB:
                failures.append(f"a worker uses {biggest:.0f} MB > {RSS_BUDGET_MB:.0f} MB")
    finally:
        for process in (server, bare_server):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    for failure in failures:
        print(f"FAIL: {failure}")
    print("PASS: every budget met" if not failures else f"{len(failures)} budget(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
