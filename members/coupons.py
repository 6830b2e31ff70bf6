"""What a coupon takes off a price, and whether a code typed at checkout may be used.

discount_for is pure: the checkout and the order both ask it."""

import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Coupon
from members.money import yuan


class CouponError(Exception):
    """A code that takes nothing off; `message` is what the reader sees."""

    message = _("This coupon cannot be used.")

    def __str__(self):
        return str(self.message)


class UnknownCoupon(CouponError):
    message = _("There is no such coupon. Check it for typos and try again.")


class CouponForAnotherColumn(CouponError):
    message = _("This coupon is for another column.")


class CouponInactive(CouponError):
    message = _("This coupon is no longer offered.")


class CouponExpired(CouponError):
    message = _("This coupon has expired.")


class CouponUsedUp(CouponError):
    message = _("This coupon has been used as many times as it allows.")


def coupon_normalize(raw_code: str) -> str:
    """What the reader typed, as stored: any case, surrounding spaces and full-width characters accepted."""
    return unicodedata.normalize("NFKC", raw_code or "").strip().upper()


def coupon_for_checkout(*, raw_code: str, plan) -> Coupon:
    """The coupon a reader may use on this plan now. Raises a CouponError saying why not.

    Whether it is used up is checked here, not when the order is paid: an order made before the
    limit was reached keeps its price (see services.coupon_count_use)."""
    coupon = Coupon.objects.filter(code=coupon_normalize(raw_code)).first()
    if coupon is None:
        raise UnknownCoupon
    if coupon.column_id != plan.column_id:
        raise CouponForAnotherColumn
    if not coupon.is_active:
        raise CouponInactive
    if coupon.expires_at is not None and coupon.expires_at <= timezone.now():
        raise CouponExpired
    if coupon.max_uses is not None and coupon.used_count >= coupon.max_uses:
        raise CouponUsedUp
    return coupon


def discount_for(coupon, price_fen: int) -> int:
    """Fen off `price_fen`, never so much that nothing is left to pay (one fen at least remains)."""
    if coupon is None:
        return 0
    if coupon.percent_off is not None:
        off = price_fen * coupon.percent_off // 100
    else:
        off = coupon.amount_off_fen
    return max(0, min(off, price_fen - 1))


@dataclass(frozen=True)
class PriceQuote:
    """What the checkout page shows before an order exists; order_create computes the same."""

    list_price_fen: int
    discount_fen: int

    @classmethod
    def of(cls, plan, coupon=None) -> "PriceQuote":
        return cls(list_price_fen=plan.price_fen, discount_fen=discount_for(coupon, plan.price_fen))

    @property
    def amount_fen(self) -> int:
        return self.list_price_fen - self.discount_fen

    @property
    def list_price_yuan(self) -> str:
        return yuan(self.list_price_fen)

    @property
    def discount_yuan(self) -> str:
        return yuan(self.discount_fen)

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)
