"""The second ceiling of bench/web.py: a bare Django app, no middleware, no apps, one view.

Served by the same gunicorn configuration (portal/gunicorn.conf.py, the same workers) as the
portal, with production settings (DEBUG off); it touches neither the database nor the cache:
what Django and gunicorn cost on this machine before any work of ours.

    gunicorn --config portal/gunicorn.conf.py bench.bare_app:application
"""

import os

import dj_database_url
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
    ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(","),
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={"default": dj_database_url.parse(os.environ.get("DATABASE_URL", "sqlite:///:memory:"))},
)

urlpatterns = [path("bench/bare/", bare), path("healthz", bare)]

application = get_wsgi_application()
