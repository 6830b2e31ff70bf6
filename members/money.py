"""Money is whole fen; these show it as yuan."""


def yuan(fen: int) -> str:
    """9900 → "99", 9950 → "99.50"."""
    whole, rest = divmod(fen, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}"
