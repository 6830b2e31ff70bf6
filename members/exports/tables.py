"""A column's readers and orders as CSV, for its author to take elsewhere or count.

members.csv — one row per membership, past ones included:
    email, plan, start, end, source
    plan: what its latest grant gave — the plan bought ("annual", "lifetime"), else "lifetime"
          or "<n> days" for a code, a gift of days or a trial; end: when access ends or ended
          (a refund or a lost dispute ends it early), empty for a lifetime membership.
orders.csv — one row per order, whatever its status:
    number, email, plan, amount_yuan, status, provider, created, paid, refunded

Times are the site's local time in ISO 8601 with the offset; amounts are yuan with two decimals;
codes (status, source, plan kind) are the stored values, which do not change with the language.
A UTF-8 byte order mark opens each file so that Excel shows Chinese and addresses correctly.
"""

import csv
import io
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from articles.models import Column
from members.models import Membership, MembershipGrant, Order

MEMBERS_HEADER = ("email", "plan", "start", "end", "source")
ORDERS_HEADER = ("number", "email", "plan", "amount_yuan", "status", "provider", "created", "paid", "refunded")
# A spreadsheet runs a cell starting with one of these as a formula ("=HYPERLINK(…)").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def members_rows(column: Column) -> list[tuple[str, ...]]:
    grants = MembershipGrant.objects.select_related("order").order_by("-created_at", "-pk")
    memberships = (
        Membership.objects.filter(column=column)
        .select_related("user")
        .prefetch_related(Prefetch("grants", queryset=grants, to_attr="grants_newest_first"))
        .order_by("starts_at", "pk")
    )
    return [
        (membership.user.email, membership_plan(membership), local_time(membership.starts_at), local_time(access_end(membership)), membership.source)
        for membership in memberships
    ]


def membership_plan(membership: Membership) -> str:
    latest = membership.grants_newest_first[0] if membership.grants_newest_first else None
    if latest is not None and latest.order is not None:
        return latest.order.plan_kind
    if latest is not None and not latest.lifetime and latest.days:
        return f"{latest.days} days"
    return "lifetime" if membership.is_lifetime else ""


def access_end(membership: Membership) -> datetime | None:
    ends = [moment for moment in (membership.expires_at, membership.revoked_at) if moment is not None]
    return min(ends) if ends else None


def orders_rows(column: Column) -> list[tuple[str, ...]]:
    orders = Order.objects.filter(column=column).select_related("user").order_by("created_at", "pk")
    return [
        (
            order.number,
            order.user.email,
            order.plan_kind,
            yuan_with_cents(order.amount_fen),
            order.status,
            order.provider,
            local_time(order.created_at),
            local_time(order.paid_at),
            local_time(order.refunded_at),
        )
        for order in orders
    ]


def yuan_with_cents(fen: int) -> str:
    whole, rest = divmod(fen, 100)
    return f"{whole}.{rest:02d}"


def local_time(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def csv_bytes(header: tuple[str, ...], rows) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue().encode()


def cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
