"""Dates that documents state about themselves, as written in Chinese documents.

    出品时间：2024 年 3 月 20 日        a labelled line near the top of a document
    出版时间：2024 年 5 月              a month alone: the first of that month
    发布时间: 2024-03-20 10:30
    更新于 2024/3/20
    2024-11-28                        a date alone on a line (a post's date on a column page)

Pure: lines in, a date (or a datetime when a time is given) out. Times are local to the site.
"""

import re
from datetime import date, datetime

DATE_TEXT = r"(?P<year>(?:19|20)[0-9]{2})\s*[-/.年]\s*(?P<month>[0-9]{1,2})\s*[-/.月]\s*(?P<day>[0-9]{1,2})\s*日?"
TIME_TEXT = r"(?:[\sT]*(?P<hour>[0-9]{1,2})\s*[:：时]\s*(?P<minute>[0-9]{2})(?:\s*[:：分]\s*(?P<second>[0-9]{2})\s*秒?)?)?"
DATE_RE = re.compile(DATE_TEXT + TIME_TEXT)
# A labelled line may state only the month ("出版时间：2024 年 5 月"): the first of that month.
MONTH_TEXT = r"(?P<year>(?:19|20)[0-9]{2})\s*[-/.年]\s*(?P<month>[0-9]{1,2})\s*月?"
MONTH_ONLY_RE = re.compile(r"^(?:\*\*|__)?\s*" + MONTH_TEXT + r"\s*(?:\*\*|__)?\s*$")

LABELS = (
    "出品时间",
    "出品日期",
    "出版时间",
    "出版日期",
    "发布时间",
    "发布日期",
    "发表时间",
    "发表日期",
    "更新时间",
    "更新日期",
    "创建时间",
    "写作时间",
    "日期",
    "时间",
)
LABEL_VERBS = ("发布于", "发表于", "更新于", "写于", "创建于")
# "> 出品时间：2024 年 3 月 20 日", "**发布时间**: 2024-03-20", "- 更新于 2024/3/20": the label, then a date and nothing else.
LABEL_RE = re.compile(r"^[>\-*\s]*(?:\*\*|__)?\s*(?:(?:" + "|".join(LABELS) + r")\s*(?:\*\*|__)?\s*[：:]|(?:" + "|".join(LABEL_VERBS) + r")\s*[：:]?)")
DATE_ONLY_RE = re.compile(r"^(?:\*\*|__)?\s*" + DATE_TEXT + TIME_TEXT + r"\s*(?:\*\*|__)?\s*$")
# A date alone on its line, perhaps with a calendar sign: "2024-11-28", "📅 2024年11月28日 08:00".
BARE_DATE_RE = re.compile(r"^[>\s]*(?:[\U0001F4C5\U0001F4C6🗓]\s*)?" + DATE_TEXT + TIME_TEXT + r"\s*$")

# A labelled date further down than this is about something else (an event, a release).
LABELLED_WITHIN_LINES = 20


def parse_date_text(text: str) -> date | datetime | None:
    """The first date (and time, if one follows) in the text; None if there is none or it is not a real date."""
    match = DATE_RE.search(text)
    return date_of(match) if match else None


def date_of(match: re.Match) -> date | datetime | None:
    try:
        day = date(int(match.group("year")), int(match.group("month")), int(match.group("day")))
        if match.group("hour") is None:
            return day
        second = int(match.group("second") or 0)
        return datetime(day.year, day.month, day.day, int(match.group("hour")), int(match.group("minute")), second)
    except ValueError:
        return None


def month_of(match: re.Match | None) -> date | None:
    if match is None:
        return None
    try:
        return date(int(match.group("year")), int(match.group("month")), 1)
    except ValueError:
        return None


def labelled_date(lines: list[str], *, within: int = LABELLED_WITHIN_LINES) -> date | datetime | None:
    """The date of the first "出品时间：…"-style line among the first `within` non-blank lines."""
    seen = 0
    for line in lines:
        if not line.strip():
            continue
        seen += 1
        if seen > within:
            break
        label = LABEL_RE.match(line.strip())
        if not label:
            continue
        rest = line.strip()[label.end() :].strip()
        date_only = DATE_ONLY_RE.match(rest)
        found = date_of(date_only) if date_only else month_of(MONTH_ONLY_RE.match(rest))
        if found is not None:
            return found
    return None


def bare_date(line: str) -> date | datetime | None:
    """The date of a line that holds a date and nothing else."""
    match = BARE_DATE_RE.match(line.strip())
    return date_of(match) if match else None
