from django.conf import settings
from django.core.checks import Warning, register


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
