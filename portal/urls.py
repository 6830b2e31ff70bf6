from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from articles import page_cache
from articles.sitemaps import SITEMAPS, robots_txt, sitemap_index
from members.dashboard import column_dashboard_view
from portal.admin_login import rate_limited_login
from portal.health import bench_bare, bench_bare_signed_in, healthz
from portal.media import serve_media

handler500 = "portal.errors.server_error"

admin.site.login = rate_limited_login(admin.site.login)
# The site's own name in the admin's header and page titles, not "Django administration".
admin.site.site_header = format_lazy(_("{site} administration"), site=settings.SITE_NAME)
admin.site.site_title = format_lazy(_("{site} admin"), site=settings.SITE_NAME)
admin.site.index_title = _("Columns, readers and orders")

# Reader pages first: every request walks the patterns in order until one matches, and these are
# most of the traffic. No two patterns below match the same path, so the order changes nothing else.
urlpatterns = [
    path("", include("articles.urls")),
    path("", include("members.urls")),
    path("healthz", healthz, name="healthz"),
    path("robots.txt", page_cache.visitor_page()(robots_txt), name="robots-txt"),
    path("sitemap.xml", page_cache.visitor_page()(sitemap_index), name="sitemap-index"),
    path("sitemap-<section>.xml", page_cache.visitor_page(page_cache.SITEMAP_PARAMETERS)(sitemap), {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path("admin/dashboard/<slug:slug>/", column_dashboard_view, name="column-dashboard"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # Switching the language only sets a cookie, so it takes no CSRF token: pages for visitors then
    # carry no per-visitor token at all and can be kept and served to everyone (articles/page_cache/visitors.py).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
]

if settings.BENCH_BARE_VIEW:
    urlpatterns[:0] = [path("bench/bare/", bench_bare), path("bench/bare/signed-in/", bench_bare_signed_in)]

if settings.SERVE_MEDIA:
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{prefix}(?P<path>.*)$", serve_media))
