"""gunicorn configuration: `gunicorn --config portal/gunicorn.conf.py portal.wsgi`."""

import gc
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread" if threads > 1 else "sync")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Young objects are collected after this many allocations (Python's default is 700), see post_worker_init.
gc_young_threshold = int(os.environ.get("GUNICORN_GC_THRESHOLD", 10_000))


def post_worker_init(worker):
    """Objects made while the app loaded (modules, settings, URL patterns, templates) are frozen
    out of the garbage collector's walks, and young objects are collected less often: a request
    allocates thousands, nearly all freed by reference counting anyway. About a tenth off every
    page's CPU here; memory after 10,000 requests stays within budget (bench/web.py checks it)."""
    gc.freeze()
    gc.set_threshold(gc_young_threshold, 20, 20)
