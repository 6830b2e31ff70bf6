"""What a coupon takes off a price. Pure: the checkout and the order both ask it."""


def discount_for(coupon, price_fen: int) -> int:
    """Fen off `price_fen`, never so much that nothing is left to pay (one fen at least remains)."""
    if coupon is None:
        return 0
    if coupon.percent_off is not None:
        off = price_fen * coupon.percent_off // 100
    else:
        off = coupon.amount_off_fen
    return max(0, min(off, price_fen - 1))
