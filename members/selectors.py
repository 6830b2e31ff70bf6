"""Reads about memberships and plans. Other apps ask these, never the tables."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from members.models import Membership, MembershipGrant, Order, Plan, Subscription
from members.referrals import top_referrers

# "My columns" offers to renew an annual membership this close to its end (or after it).
RENEW_OFFER_DAYS = 30
LIVE_SUBSCRIPTION_STATUSES = [
    Subscription.Status.ACTIVE,
    Subscription.Status.TRIALING,
    Subscription.Status.PAST_DUE,
    Subscription.Status.UNPAID,
    Subscription.Status.PAUSED,
]


def active_reader_counts(column_ids) -> dict[int, int]:
    rows = (
        Membership.objects.active().filter(column_id__in=list(column_ids)).values("column_id").annotate(readers=Count("pk")).values_list("column_id", "readers")
    )
    return dict(rows)


def plans_by_column(column_ids) -> dict[int, list[Plan]]:
    plans = defaultdict(list)
    for plan in Plan.objects.filter(column_id__in=list(column_ids), is_active=True).order_by("price_fen"):
        plans[plan.column_id].append(plan)
    return plans


def membership_of(user, column) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, column=column).first()


def bookshelf(user) -> list[Membership]:
    """The reader's memberships, current first, with their columns, in three queries however many.

    Each membership also carries `auto_renewal`, the subscription that may still renew it (or
    None), and `renew_offered`: an annual membership ending within RENEW_OFFER_DAYS, or ended,
    that nothing will renew automatically."""
    memberships = list(Membership.objects.filter(user=user).select_related("column").prefetch_related("column__authors").order_by("revoked_at", "-starts_at"))
    live = Subscription.objects.filter(user=user, status__in=LIVE_SUBSCRIPTION_STATUSES).order_by("created_at")
    subscriptions = {subscription.column_id: subscription for subscription in live}  # the newest per column
    soon = timezone.now() + timedelta(days=RENEW_OFFER_DAYS)
    for membership in memberships:
        membership.auto_renewal = subscriptions.get(membership.column_id)
        membership.renew_offered = (
            membership.revoked_at is None
            and membership.expires_at is not None
            and membership.expires_at <= soon
            and not (membership.auto_renewal and membership.auto_renewal.renews)
        )
    return memberships


def renewing_subscriptions():
    """Subscriptions that will still charge their reader: live, and not set to stop at the period end."""
    return Subscription.objects.filter(status__in=LIVE_SUBSCRIPTION_STATUSES, cancel_at_period_end=False)


def renewing_subscription(user, column) -> Subscription | None:
    """A subscription that will still charge this reader for this column: a second one would bill twice."""
    if not user.is_authenticated:
        return None
    return renewing_subscriptions().filter(user=user, column=column).order_by("-created_at").first()


def subscription_for_reader(user, pk: int) -> Subscription:
    """A reader's own subscription; anyone else's is a 404."""
    return get_object_or_404(Subscription.objects.select_related("column"), user=user, pk=pk)


def plan_for_sale(plan_id: int) -> Plan:
    return get_object_or_404(Plan.objects.select_related("column"), pk=plan_id, is_active=True, column__status="published", column__is_free=False)


def orders_of(user):
    return Order.objects.filter(user=user).select_related("column", "gift").order_by("-created_at")


def order_for_reader(user, number: str) -> Order:
    """A reader's own order; anyone else's is a 404, never a hint that it exists."""
    return get_object_or_404(Order.objects.select_related("column", "plan", "gift"), user=user, number=number)


@dataclass(frozen=True)
class ColumnDashboard:
    months: list[str]  # "2026-11"
    members_at_month_end: list[int]
    revenue_fen_by_month: list[int]
    new_grants_by_month: list[int]
    active_lifetime: int
    active_annual: int
    active_trials: int  # free trials (members.trials), counted apart from paying members
    paid_orders: int
    refunded_orders: int
    top_referrers: list[dict]  # {"referrer__email", "paid_orders", "commission_fen"}, biggest first


def month_starts(months: int, now) -> list:
    """The first instant of each of the last `months` months, oldest first, in the current time zone."""
    current = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [current]
    for _ in range(months - 1):
        previous = starts[-1] - timedelta(days=1)
        starts.append(previous.replace(day=1))
    return list(reversed(starts))


def column_dashboard(column, *, months: int = 12) -> ColumnDashboard:
    """An editor's view of one column: a fixed handful of queries however long its history."""
    now = timezone.now()
    starts = month_starts(months, now)
    ends = [*starts[1:], now]

    def active_at(moment):
        return Q(starts_at__lte=moment) & (Q(expires_at__isnull=True) | Q(expires_at__gt=moment)) & (Q(revoked_at__isnull=True) | Q(revoked_at__gt=moment))

    # Members are those who paid or were given the column; a free trial is counted on its own.
    memberships = Membership.objects.filter(column=column).exclude(source=Membership.Source.TRIAL)
    at_ends = memberships.aggregate(**{f"m{index}": Count("pk", filter=active_at(end)) for index, end in enumerate(ends)})
    active_now = memberships.active(now)
    mix = active_now.aggregate(lifetime=Count("pk", filter=Q(expires_at__isnull=True)), annual=Count("pk", filter=Q(expires_at__isnull=False)))
    trials = Membership.objects.filter(column=column, source=Membership.Source.TRIAL).active(now).count()

    paid = Order.objects.filter(column=column, status=Order.Status.PAID, paid_at__gte=starts[0])
    revenue = {row["month"]: row["total"] for row in paid.annotate(month=TruncMonth("paid_at")).values("month").annotate(total=Sum("amount_fen"))}
    grants = MembershipGrant.objects.filter(membership__column=column, created_at__gte=starts[0]).exclude(source=Membership.Source.TRIAL)
    granted = {row["month"]: row["count"] for row in grants.annotate(month=TruncMonth("created_at")).values("month").annotate(count=Count("pk"))}
    orders = Order.objects.filter(column=column).aggregate(
        paid=Count("pk", filter=Q(status=Order.Status.PAID)), refunded=Count("pk", filter=Q(status=Order.Status.REFUNDED))
    )

    def by_month(values: dict) -> list[int]:
        keyed = {timezone.localtime(month).strftime("%Y-%m") if timezone.is_aware(month) else month.strftime("%Y-%m"): value for month, value in values.items()}
        return [keyed.get(start.strftime("%Y-%m"), 0) for start in starts]

    return ColumnDashboard(
        months=[start.strftime("%Y-%m") for start in starts],
        members_at_month_end=[at_ends[f"m{index}"] for index in range(len(ends))],
        revenue_fen_by_month=by_month(revenue),
        new_grants_by_month=by_month(granted),
        active_lifetime=mix["lifetime"],
        active_annual=mix["annual"],
        active_trials=trials,
        paid_orders=orders["paid"],
        refunded_orders=orders["refunded"],
        top_referrers=top_referrers(column),
    )
