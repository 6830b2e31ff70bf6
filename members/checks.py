from django.conf import settings
from django.core.checks import Warning, register

PER_PROCESS_CACHES = {"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"}


@register("payments", deploy=True)
def sandbox_is_off_in_production(app_configs, **kwargs):
    if settings.PAYMENTS_SANDBOX and not settings.DEBUG:
        return [
            Warning(
                "The sandbox payment provider is enabled with DEBUG off: anyone can 'pay' without money moving.",
                hint="Unset DJANGO_PAYMENTS_SANDBOX in production.",
                id="members.W001",
            )
        ]
    return []


@register("security", deploy=True)
def rate_limits_are_shared(app_configs, **kwargs):
    """Redeem-code and account rate limits count in the default cache; per process, each gunicorn
    worker keeps its own count and a guesser gets the limit once per worker."""
    if settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES and not settings.DEBUG:
        return [
            Warning(
                "The default cache lives inside each process, so rate limits are counted per worker, not per site.",
                hint="Set REDIS_URL so every web node shares one cache, or keep the default cache (files every worker on this machine shares).",
                id="members.W002",
            )
        ]
    return []
