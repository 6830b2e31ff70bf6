from members.payments import wechat
from members.payments.reconcile import ReconcileCommand
from members.payments.wechat_api import WechatPayError


class Command(ReconcileCommand):
    help = (
        "Ask WeChat Pay about WeChat Pay orders still pending after --minutes: a paid one is marked paid "
        "(once, as a notification would), a closed or failed one failed, and an unpaid one past its two-hour "
        "payment window is closed at WeChat Pay and failed, so the reader can buy again. Run it every few "
        "minutes from cron or a systemd timer."
    )
    provider_name = "WeChat Pay"
    settings_hint = "the DJANGO_WECHAT_PAY_* variables"
    # WeChat Pay asks merchants not to close an order in its first five minutes.
    too_young = "WeChat Pay may still be taking the payment."
    error_class = WechatPayError

    def provider_enabled(self) -> bool:
        return wechat.WechatPayProvider().is_enabled()

    def pending_orders_created_before(self, moment):
        return wechat.pending_orders_created_before(moment)

    def order_sync(self, order, *, close_unpaid: bool):
        return wechat.order_sync(order, close_unpaid=close_unpaid)

    def order_is_expired(self, order, now) -> bool:
        return wechat.order_is_expired(order, now)
