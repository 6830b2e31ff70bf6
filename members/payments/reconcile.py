"""The reconcile commands' shared loop: ask the provider about every order of ours still pending
after some minutes, settle each through the provider's `order_sync`, and report. A provider that
cannot be asked leaves its orders pending and makes the command exit non-zero (cron notices)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

MINIMUM_MINUTES = 5


class ReconcileCommand(BaseCommand):
    """Subclasses name the provider and hand over its functions (see wechat_pay_reconcile)."""

    provider_name: str  # as readers know it: "WeChat Pay", "Alipay"
    settings_hint: str  # where the settings are explained
    too_young: str  # why orders younger than MINIMUM_MINUTES are left alone
    error_class: type[Exception]

    def provider_enabled(self) -> bool:
        raise NotImplementedError

    def pending_orders_created_before(self, moment):
        raise NotImplementedError

    def order_sync(self, order, *, close_unpaid: bool):
        raise NotImplementedError

    def order_is_expired(self, order, now) -> bool:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=15, help=f"only orders at least this old (default 15, at least {MINIMUM_MINUTES})")

    def handle(self, *args, minutes, **options):
        if minutes < MINIMUM_MINUTES:
            raise CommandError(f"--minutes must be at least {MINIMUM_MINUTES}: {self.too_young}")
        if not self.provider_enabled():
            raise CommandError(f"{self.provider_name} is not configured; see {self.settings_hint} in .env.example.")
        now = timezone.now()
        checked, changed, failures = 0, 0, []
        for order in self.pending_orders_created_before(now - timedelta(minutes=minutes)):
            checked += 1
            try:
                synced = self.order_sync(order, close_unpaid=self.order_is_expired(order, now))
            except self.error_class as error:
                failures.append(order.number)
                self.stderr.write(f"{order.number}: {error}")
                continue
            if synced.status != order.status:
                changed += 1
                self.stdout.write(f"{order.number}: {order.status} → {synced.status}")
        self.stdout.write(f"Checked {checked} pending {self.provider_name} order(s); {changed} changed.")
        if failures:
            raise CommandError(f"Could not settle {len(failures)} order(s) with {self.provider_name}: {', '.join(failures)}. They stay pending.")
