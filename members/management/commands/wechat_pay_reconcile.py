from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.payments.wechat import WechatPayProvider, order_is_expired, order_sync, pending_orders_created_before
from members.payments.wechat_api import WechatPayError

# WeChat Pay asks merchants not to close an order in its first five minutes.
MINIMUM_MINUTES = 5


class Command(BaseCommand):
    help = (
        "Ask WeChat Pay about WeChat Pay orders still pending after --minutes: a paid one is marked paid "
        "(once, as a notification would), a closed or failed one failed, and an unpaid one past its two-hour "
        "payment window is closed at WeChat Pay and failed, so the reader can buy again. Run it every few "
        "minutes from cron or a systemd timer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=15, help="only orders at least this old (default 15, at least 5)")

    def handle(self, *args, minutes, **options):
        if minutes < MINIMUM_MINUTES:
            raise CommandError(f"--minutes must be at least {MINIMUM_MINUTES}: WeChat Pay may still be taking the payment.")
        if not WechatPayProvider().is_enabled():
            raise CommandError("WeChat Pay is not configured; see the DJANGO_WECHAT_PAY_* variables in .env.example.")
        now = timezone.now()
        checked, changed, failures = 0, 0, []
        for order in pending_orders_created_before(now - timedelta(minutes=minutes)):
            checked += 1
            try:
                synced = order_sync(order, close_unpaid=order_is_expired(order, now))
            except WechatPayError as error:
                failures.append(order.number)
                self.stderr.write(f"{order.number}: {error}")
                continue
            if synced.status != order.status:
                changed += 1
                self.stdout.write(f"{order.number}: {order.status} → {synced.status}")
        self.stdout.write(f"Checked {checked} pending WeChat Pay order(s); {changed} changed.")
        if failures:
            raise CommandError(f"Could not settle {len(failures)} order(s) with WeChat Pay: {', '.join(failures)}. They stay pending.")
