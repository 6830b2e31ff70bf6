from datetime import date

from django.core.management.base import BaseCommand, CommandError

from articles.models import Column
from members.codes import MAX_BATCH, codes_create, expiry_from_date


class Command(BaseCommand):
    help = "Make a batch of single-use redeem codes for a column and print them, one a line."

    def add_arguments(self, parser):
        parser.add_argument("column_slug", help="the column's slug, as in /column/<slug>/")
        parser.add_argument("--count", type=int, required=True, help=f"how many codes (1 to {MAX_BATCH})")
        length = parser.add_mutually_exclusive_group(required=True)
        length.add_argument("--days", type=int, help="each code opens the column for this many days")
        length.add_argument("--lifetime", action="store_true", help="each code opens the column for life")
        parser.add_argument("--expires", help="last day a code may be redeemed, YYYY-MM-DD (default: never)")
        parser.add_argument("--label", default="", help="batch label, e.g. where the codes are handed out")

    def handle(self, *args, column_slug, count, days, lifetime, expires, label, **options):
        if not 1 <= count <= MAX_BATCH:
            raise CommandError(f"--count must be between 1 and {MAX_BATCH}.")
        if days is not None and days <= 0:
            raise CommandError("--days must be a positive number of days.")
        column = Column.objects.filter(slug=column_slug).first()
        if column is None:
            known = ", ".join(Column.objects.order_by("slug").values_list("slug", flat=True)[:20]) or "none yet"
            raise CommandError(f"No column has the slug {column_slug!r}. Known slugs: {known}.")
        expires_at = None
        if expires:
            try:
                expires_at = expiry_from_date(date.fromisoformat(expires))
            except ValueError as error:
                raise CommandError(f"--expires must be a date like 2026-12-31, not {expires!r}.") from error
        codes = codes_create(column=column, count=count, days=days, lifetime=lifetime, expires_at=expires_at, label=label)
        # Only the codes on stdout, so the output can go straight into a file or another program.
        for code in codes:
            self.stdout.write(code.grouped)
