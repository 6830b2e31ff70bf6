"""Redeem codes: making batches, redeeming one, and slowing down anyone guessing."""

import csv
import secrets
import unicodedata
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.models import Membership, RedeemCode
from members.services import membership_grant

# No 0/O or 1/I: a code read aloud or copied from a picture cannot be mistyped into another.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 32**12 = 2**60 possible codes; with the limiter below, guessing is hopeless.
MAX_BATCH = 1000


class RedeemError(Exception):
    """A code that opens nothing; `message` is what the reader sees."""

    message = _("This code cannot be redeemed.")

    def __str__(self):
        return str(self.message)


class UnknownCode(RedeemError):
    message = _("There is no such code. Check it for typos and try again.")


class CodeAlreadyUsed(RedeemError):
    message = _("This code has already been used. Each code opens a column once.")


class CodeExpired(RedeemError):
    message = _("This code has expired and can no longer be redeemed.")


class CodeVoided(RedeemError):
    message = _("This gift was refunded, so its code can no longer be redeemed.")


class TooManyAttempts(RedeemError):
    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes

    def __str__(self):
        return ngettext(
            "Too many wrong codes. Please try again in %(minutes)d minute.",
            "Too many wrong codes. Please try again in %(minutes)d minutes.",
            self.minutes,
        ) % {"minutes": self.minutes}


def code_normalize(raw_code: str) -> str:
    """What the reader typed, as stored: any case, spaces, dashes and full-width characters accepted."""
    text = unicodedata.normalize("NFKC", raw_code or "").upper()
    return "".join(character for character in text if character.isalnum())


def code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def expiry_from_date(last_day: date) -> datetime:
    """A code that may be redeemed until a date is good through the end of that day, local time."""
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def codes_create(
    *,
    column,
    count: int,
    days: int | None = None,
    lifetime: bool = False,
    expires_at: datetime | None = None,
    label: str = "",
    created_by=None,
) -> list[RedeemCode]:
    """Make `count` new unused codes for a column, all stamped with the same creation time."""
    if lifetime == (days is not None):
        raise ValueError("Give either days or lifetime=True.")
    if days is not None and days <= 0:
        raise ValueError("days must be positive.")
    if not 1 <= count <= MAX_BATCH:
        raise ValueError(f"A batch has between 1 and {MAX_BATCH} codes.")
    for _attempt in range(3):
        texts = fresh_code_texts(count)
        now = timezone.now()
        codes = [
            RedeemCode(
                code=text,
                column=column,
                days=days,
                lifetime=lifetime,
                batch=label,
                expires_at=expires_at,
                created_by=created_by,
                created_at=now,
            )
            for text in texts
        ]
        try:
            with transaction.atomic():
                RedeemCode.objects.bulk_create(codes)
        except IntegrityError:
            # Another batch took one of these codes between our check and our insert.
            continue
        return list(RedeemCode.objects.filter(code__in=texts).select_related("column").order_by("pk"))
    raise RuntimeError("Could not find unused codes; try again.")


def fresh_code_texts(count: int) -> list[str]:
    texts: set[str] = set()
    while len(texts) < count:
        candidates = {code_generate() for _ in range(count - len(texts))} - texts
        taken = set(RedeemCode.objects.filter(code__in=candidates).values_list("code", flat=True))
        texts |= candidates - taken
    return sorted(texts)


def codes_in_batch(first_pk: int):
    """The codes made together with this one: codes_create stamps a batch with one creation time."""
    first = RedeemCode.objects.filter(pk=first_pk).first()
    if first is None:
        return RedeemCode.objects.none()
    return RedeemCode.objects.filter(column_id=first.column_id, created_at=first.created_at, batch=first.batch).select_related("column").order_by("pk")


def code_redeem(*, user, raw_code: str) -> Membership:
    """Open the code's column for the reader, once. Raises a RedeemError saying why not.

    The claim is one conditional UPDATE: when two readers submit the same code at the same
    moment, the database lets exactly one of them change the row, and the other is told the
    code is used; a refund voiding the code at that moment is ordered the same way. MembershipGrant.code is unique as well, so a code can never grant twice.
    """
    text = code_normalize(raw_code)
    code = RedeemCode.objects.select_related("column").filter(code=text).first() if text else None
    if code is None:
        raise UnknownCode
    if code.redeemed_at is not None:
        raise CodeAlreadyUsed
    if code.voided_at is not None:
        raise CodeVoided
    now = timezone.now()
    if code.expires_at is not None and code.expires_at <= now:
        raise CodeExpired
    with transaction.atomic():
        claimed = RedeemCode.objects.filter(pk=code.pk, redeemed_at__isnull=True, voided_at__isnull=True).update(redeemed_by=user, redeemed_at=now)
        if claimed != 1:
            raise CodeVoided if RedeemCode.objects.filter(pk=code.pk, voided_at__isnull=False).exists() else CodeAlreadyUsed
        return membership_grant(
            user=user,
            column=code.column,
            source=Membership.Source.CODE,
            days=code.days,
            lifetime=code.lifetime,
            note=f"Redeem code {code.grouped}",
            code=code,
        )


class FailureLimiter:
    """At most `limit` failures per key in a fixed window, counted in the shared cache.

    Only failures count, so a reader who types their code right the first time is never slowed.
    """

    def __init__(self, *, prefix: str, limit: int, window: timedelta):
        self.prefix = prefix
        self.limit = limit
        self.window = window

    def minutes_blocked(self, keys) -> int:
        """0 when every key may try again, else the minutes until the longest block lifts."""
        now = timezone.now().timestamp()
        waits = []
        for key in keys:
            count = cache.get(self.count_key(key), 0)
            if count >= self.limit:
                resets_at = cache.get(self.reset_key(key), now + self.window.total_seconds())
                waits.append(max(resets_at - now, 1))
        return -(-int(max(waits)) // 60) if waits else 0

    def record_failure(self, keys) -> None:
        seconds = int(self.window.total_seconds())
        for key in keys:
            # add() only sets a missing key, so the window starts at the first failure and is not extended.
            cache.add(self.reset_key(key), timezone.now().timestamp() + seconds, seconds)
            cache.add(self.count_key(key), 0, seconds)
            try:
                cache.incr(self.count_key(key))
            except ValueError:
                cache.set(self.count_key(key), 1, seconds)

    def count_key(self, key: str) -> str:
        return f"{self.prefix}:{key}:count"

    def reset_key(self, key: str) -> str:
        return f"{self.prefix}:{key}:resets"


redeem_limiter = FailureLimiter(prefix="redeem-failures", limit=10, window=timedelta(minutes=15))


def limiter_keys(*, user_id: int, client_ip: str) -> list[str]:
    """One budget per account and one per client address, so many accounts do not multiply guesses."""
    return [f"user:{user_id}", f"ip:{client_ip}"]


def code_redeem_limited(*, user, client_ip: str, raw_code: str) -> Membership:
    """code_redeem for a reader on the web: refused, without even looking, after too many failures."""
    keys = limiter_keys(user_id=user.pk, client_ip=client_ip)
    minutes = redeem_limiter.minutes_blocked(keys)
    if minutes:
        raise TooManyAttempts(minutes)
    try:
        return code_redeem(user=user, raw_code=raw_code)
    except RedeemError:
        redeem_limiter.record_failure(keys)
        raise


CSV_HEADER = [_("code"), _("column"), _("length"), _("redeem before"), _("status"), _("batch"), _("redeemed by"), _("redeemed")]


def codes_write_csv(codes, out) -> None:
    """Codes as CSV rows for people: grouped codes, local times, translated statuses."""
    writer = csv.writer(out)
    writer.writerow([str(heading) for heading in CSV_HEADER])
    now = timezone.now()
    labels = dict(RedeemCode.Status.choices)
    for code in codes:
        writer.writerow(
            [
                code.grouped,
                code.column.title,
                code.length_display,
                local_text(code.expires_at),
                str(labels[code.status(now)]),
                code.batch,
                code.redeemed_by.email if code.redeemed_by else "",
                local_text(code.redeemed_at),
            ]
        )


def local_text(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
