"""Gifts: a membership bought for someone else and forwarded as a link to a single-use redeem code.

A gift order is paid like any other (services.order_mark_paid), but instead of opening the column
for the buyer it makes one code; whoever redeems it, the buyer included, gets the membership. A
refund or a dispute voids a code nobody has redeemed yet and revokes the membership one opened.
"""

from datetime import datetime

from django.shortcuts import get_object_or_404

from members.models import Gift, Membership, RedeemCode


def gift_code_issue(*, gift: Gift, days: int | None, lifetime: bool) -> RedeemCode:
    """The gift's code. order_mark_paid calls this with the order row locked and only for an order
    it is marking paid now, and Gift.code is one-to-one, so one order never makes a second code."""
    # codes.py grants memberships through services.py, which calls this module: imported when used.
    from members.codes import codes_create

    order = gift.order
    [code] = codes_create(column=order.column, count=1, days=days, lifetime=lifetime, label=f"gift {order.number}", created_by=order.user)
    gift.code = code
    gift.save(update_fields=["code"])
    return code


def gift_access_end(*, order_id: int, at: datetime) -> None:
    """A gift refunded or disputed at `at`: an unredeemed code can no longer be redeemed, and the
    membership a redeemed one opened is revoked, as a normal order's own membership would be."""
    code_id = Gift.objects.filter(order_id=order_id).values_list("code_id", flat=True).first()
    if code_id is None:
        return
    RedeemCode.objects.filter(pk=code_id, redeemed_at__isnull=True, voided_at__isnull=True).update(voided_at=at)
    Membership.objects.filter(grants__code_id=code_id, revoked_at__isnull=True).update(revoked_at=at)


def gift_access_restore(*, order_id: int, ended_at: datetime) -> None:
    """A dispute won: what gift_access_end did at `ended_at` is undone, and nothing changed since."""
    code_id = Gift.objects.filter(order_id=order_id).values_list("code_id", flat=True).first()
    if code_id is None:
        return
    RedeemCode.objects.filter(pk=code_id, voided_at=ended_at).update(voided_at=None)
    Membership.objects.filter(grants__code_id=code_id, revoked_at=ended_at).update(revoked_at=None)


def gift_for_buyer(user, number: str) -> Gift:
    """The buyer's own gift, by its order number; anyone else's is a 404."""
    return get_object_or_404(Gift.objects.select_related("order__column", "code"), order__user=user, order__number=number)


def gift_by_code(text: str) -> Gift | None:
    """The gift whose code this is (normalized), or None; codes an editor made are not gifts."""
    if not text:
        return None
    return Gift.objects.select_related("order__column", "code").filter(code__code=text).first()
