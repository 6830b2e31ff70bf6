from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from members.payments.wechat import WechatPayProvider
from members.payments.wechat_api import WechatPayError
from members.payments.wechat_certificates import certificates_refresh, known_keys


class Command(BaseCommand):
    help = (
        "Download WeChat Pay's platform certificates, check them, and keep them in the shared cache and "
        "DJANGO_WECHAT_PAY_PLATFORM_CERT_DIR for every web node; then list the platform keys we trust. "
        "Run it from cron or a systemd timer, twice a day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list", dest="list_only", action="store_true", help="only list the keys we hold; download nothing")

    def handle(self, *args, list_only, **options):
        if not WechatPayProvider().is_enabled():
            raise CommandError("WeChat Pay is not configured: set DJANGO_WECHAT_PAY_MCH_ID, _APP_ID, _API_V3_KEY, _PRIVATE_KEY_PATH and _SERIAL_NO.")
        if not list_only:
            try:
                fetched = certificates_refresh()
            except WechatPayError as error:
                raise CommandError(f"Could not fetch the platform certificates: {error}") from error
            self.stdout.write(self.style.SUCCESS(f"Fetched and verified {len(fetched)} platform certificate(s)."))
        keys = sorted(known_keys().values(), key=lambda key: (key.source, key.serial))
        if not keys:
            raise CommandError("No current platform key: WeChat Pay notifications cannot be verified.")
        now = datetime.now(UTC)
        for key in keys:
            if key.not_after is None:
                until = "no expiry (platform public key)"
            else:
                until = f"expires {key.not_after:%Y-%m-%d %H:%M} UTC, in {(key.not_after - now).days} days"
            self.stdout.write(f"{key.serial}  {key.source}  {until}")
