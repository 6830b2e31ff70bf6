"""Writes to memberships. Each is one transaction."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from members.models import Membership, Plan
from members.selectors import forget_member_columns


@transaction.atomic
def membership_grant(*, user, column, source: str, days: int | None = None, lifetime: bool = False, note: str = "") -> Membership:
    """Give a reader access to a column, for life or for `days` more days.

    An existing membership is extended from the later of now and its current end, so renewing
    early loses nothing; a lifetime membership stays lifetime. A revoked one starts afresh.
    """
    if lifetime == (days is not None):
        raise ValueError("Give either days or lifetime=True.")
    if days is not None and days <= 0:
        raise ValueError("days must be positive.")
    now = timezone.now()
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user,
        column=column,
        defaults={"source": source, "starts_at": now, "expires_at": None if lifetime else now + timedelta(days=days), "note": note},
    )
    if not created:
        if membership.revoked_at is not None or not membership.is_active(now):
            membership.starts_at = now
            membership.revoked_at = None
            membership.expires_at = None if lifetime else now + timedelta(days=days)
        elif lifetime:
            membership.expires_at = None
        elif membership.expires_at is not None:
            membership.expires_at = max(membership.expires_at, now) + timedelta(days=days)
        membership.source = source
        membership.note = note or membership.note
        membership.save()
    forget_member_columns(user)
    return membership


def plan_set_price(*, column, kind: str, price_fen: int) -> Plan:
    """Put a plan on sale at this price, creating it if the column has none of this kind."""
    if price_fen <= 0:
        raise ValueError("A price is a positive number of fen; a free column has no plans.")
    plan, _ = Plan.objects.update_or_create(column=column, kind=kind, defaults={"price_fen": price_fen, "is_active": True})
    return plan
