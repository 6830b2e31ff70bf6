"""Reads about memberships and plans. Other apps ask these, never the tables."""

from collections import defaultdict

from django.db.models import Count
from django.shortcuts import get_object_or_404

from members.models import Membership, Order, Plan

READABLE_CACHE_ATTR = "_member_column_ids"


def member_column_ids(user) -> frozenset[int]:
    """Columns the user holds an active membership of; one query, then remembered for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, READABLE_CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(Membership.objects.active().filter(user=user).values_list("column_id", flat=True))
        setattr(user, READABLE_CACHE_ATTR, cached)
    return cached


def forget_member_columns(user) -> None:
    """After a grant within the same request, the next question must see it."""
    if hasattr(user, READABLE_CACHE_ATTR):
        delattr(user, READABLE_CACHE_ATTR)


def active_reader_counts(column_ids) -> dict[int, int]:
    rows = (
        Membership.objects.active()
        .filter(column_id__in=list(column_ids))
        .values("column_id")
        .annotate(readers=Count("pk"))
        .values_list("column_id", "readers")
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


def bookshelf(user):
    """The reader's memberships, current first, with their columns."""
    return (
        Membership.objects.filter(user=user)
        .select_related("column")
        .prefetch_related("column__authors")
        .order_by("revoked_at", "-starts_at")
    )


def plan_for_sale(plan_id: int) -> Plan:
    return get_object_or_404(
        Plan.objects.select_related("column"), pk=plan_id, is_active=True, column__status="published"
    )


def orders_of(user):
    return Order.objects.filter(user=user).select_related("column").order_by("-created_at")


def order_for_reader(user, number: str) -> Order:
    """A reader's own order; anyone else's is a 404, never a hint that it exists."""
    return get_object_or_404(Order.objects.select_related("column", "plan"), user=user, number=number)
