from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from articles.models import Column
from members.models import Membership
from members.services import membership_grant


class Command(BaseCommand):
    help = "Give a reader access to a column: for N more days, or for life. Complimentary unless told otherwise."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the reader's account email")
        parser.add_argument("column_slug", help="the column's slug, as in /column/<slug>/")
        length = parser.add_mutually_exclusive_group(required=True)
        length.add_argument("--days", type=int, help="extend access by this many days")
        length.add_argument("--lifetime", action="store_true", help="access for life")
        parser.add_argument("--note", default="", help="why (shown to editors in admin)")

    def handle(self, *args, email, column_slug, days, lifetime, note, **options):
        if days is not None and days <= 0:
            raise CommandError("--days must be a positive number of days.")
        users = get_user_model().objects.filter(email__iexact=email.strip())
        if not users.exists():
            raise CommandError(f"No account has the email {email!r}. The reader must sign up first.")
        if users.count() > 1:
            raise CommandError(f"Several accounts share the email {email!r}; grant it in admin instead.")
        column = Column.objects.filter(slug=column_slug).first()
        if column is None:
            known = ", ".join(Column.objects.order_by("slug").values_list("slug", flat=True)[:20]) or "none yet"
            raise CommandError(f"No column has the slug {column_slug!r}. Known slugs: {known}.")
        membership = membership_grant(user=users.get(), column=column, source=Membership.Source.COMPLIMENTARY, days=days, lifetime=lifetime, note=note)
        until = "for life" if membership.is_lifetime else f"until {membership.expires_at:%Y-%m-%d %H:%M %Z}"
        self.stdout.write(self.style.SUCCESS(f"{email} can read “{column.title}” {until}."))
