"""Numbers as Chinese books and columns write them: 12, 十二, 一百零五."""

CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
CHINESE_NUMERAL_CHARS = "".join(CHINESE_DIGITS) + "".join(CHINESE_UNITS)


def parse_number(text: str) -> int | None:
    """Arabic or Chinese numerals to an int; None when the text is not a number."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or any(char not in CHINESE_NUMERAL_CHARS for char in text):
        return None
    total = 0
    pending = None
    for char in text:
        if char in CHINESE_DIGITS:
            pending = CHINESE_DIGITS[char]
        else:
            # "十二" starts with a bare unit: it means one ten.
            total += (1 if pending is None else pending) * CHINESE_UNITS[char]
            pending = None
    return total + (pending or 0)
