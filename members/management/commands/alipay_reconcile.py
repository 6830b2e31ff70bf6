from members.payments import alipay
from members.payments.reconcile import ReconcileCommand


class Command(ReconcileCommand):
    help = (
        "Ask Alipay about Alipay orders still pending after --minutes: a paid one is marked paid (once, as a "
        "notification would), a closed one failed, and an unpaid one past its two-hour payment window is closed "
        "at Alipay and failed, so the reader can buy again. Run it every few minutes from cron or a systemd timer."
    )
    provider_name = "Alipay"
    settings_hint = "the DJANGO_ALIPAY_* variables"
    too_young = "the reader may still be on Alipay's page."
    error_class = alipay.AlipayError

    def provider_enabled(self) -> bool:
        return alipay.AlipayProvider().is_enabled()

    def pending_orders_created_before(self, moment):
        return alipay.pending_orders_created_before(moment)

    def order_sync(self, order, *, close_unpaid: bool):
        return alipay.order_sync(order, close_unpaid=close_unpaid)

    def order_is_expired(self, order, now) -> bool:
        return alipay.order_is_expired(order, now)
