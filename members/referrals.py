"""Referrals (分销): a reader's ?refer= link, the visits it brings, and what it earns.

Attribution lives in a signed cookie holding only the code; the signature carries the time it
was set, so a checkout can tell whether the visit is still inside the referral window.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from members.models import Commission, Membership, Order, ReferralCode, ReferralVisit
from members.money import yuan

REFERRAL_PARAMETER = "refer"
REFERRAL_COOKIE = "referral"
REFERRAL_COOKIE_SALT = "members.referrals"
# No 0/O, 1/I/L: codes are read aloud and retyped from screenshots.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_ATTEMPTS = 5


def referral_window() -> timedelta:
    return timedelta(days=settings.REFERRAL_WINDOW_DAYS)


def new_referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def looks_like_code(raw: str) -> bool:
    return 0 < len(raw) <= CODE_LENGTH and all(character in CODE_ALPHABET for character in raw)


def referral_code_for(user) -> ReferralCode:
    """The reader's own code, made on first use; a collision with another reader's code is retried."""
    existing = ReferralCode.objects.filter(user=user).first()
    if existing is not None:
        return existing
    for _ in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(user=user, code=new_referral_code())
        except IntegrityError:
            # Either the code is taken (try another) or a parallel request made this reader's code.
            existing = ReferralCode.objects.filter(user=user).first()
            if existing is not None:
                return existing
    raise RuntimeError("Could not find a free referral code.")


def referral_code_lookup(raw: str) -> ReferralCode | None:
    code = raw.strip().upper()
    if not looks_like_code(code):
        return None
    return ReferralCode.objects.filter(code=code).first()


def referral_visit_record(*, code: ReferralCode, column=None, column_id: int | None = None) -> ReferralVisit:
    return ReferralVisit.objects.create(referral_code=code, column_id=column.pk if column is not None else column_id)


def referrer_for_checkout(request):
    """The referrer whose link this buyer followed within the window, or None (never the buyer)."""
    raw = request.get_signed_cookie(REFERRAL_COOKIE, default=None, salt=REFERRAL_COOKIE_SALT, max_age=referral_window())
    if not raw:
        return None
    code = referral_code_lookup(raw)
    if code is None:
        return None
    if request.user.is_authenticated and code.user_id == request.user.pk:
        return None
    return code.user


def commissions_mark_paid_out(*, commission_ids) -> int:
    """Editors paid these referrers; only commissions still owed change. Returns how many did."""
    return Commission.objects.filter(pk__in=list(commission_ids), status=Commission.Status.OWED).update(
        status=Commission.Status.PAID_OUT, paid_out_at=timezone.now()
    )


def owed_total_fen(commissions) -> int:
    return commissions.filter(status=Commission.Status.OWED).aggregate(total=Sum("amount_fen"))["total"] or 0


@dataclass(frozen=True)
class ReferralLink:
    title: str
    url: str
    rate_percent: int | None


@dataclass(frozen=True)
class CommissionLine:
    column_title: str
    created_at: object
    rate_percent: int
    amount_yuan: str
    status: str
    status_display: str


@dataclass(frozen=True)
class ReferralSummary:
    code: ReferralCode
    site_link: str
    column_links: list[ReferralLink]
    visits: int
    paid_orders: int
    owed_fen: int
    paid_out_fen: int
    commissions: list[CommissionLine]

    @property
    def owed_yuan(self) -> str:
        return yuan(self.owed_fen)

    @property
    def paid_out_yuan(self) -> str:
        return yuan(self.paid_out_fen)


def referral_link(path: str, code: ReferralCode) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}?{REFERRAL_PARAMETER}={code.code}"


def referral_summary(user) -> ReferralSummary:
    """Everything the reader's referrals page shows, in a fixed handful of queries."""
    code = referral_code_for(user)
    memberships = Membership.objects.active().filter(user=user).select_related("column", "column__referral_program").order_by("column__title")
    column_links = []
    for membership in memberships:
        program = getattr(membership.column, "referral_program", None)
        rate = program.rate_percent if program is not None and program.is_active else None
        column_links.append(ReferralLink(membership.column.title, referral_link(membership.column.get_absolute_url(), code), rate))
    earnings = Commission.objects.filter(referrer=user).aggregate(
        owed=Sum("amount_fen", filter=Q(status=Commission.Status.OWED)),
        paid_out=Sum("amount_fen", filter=Q(status=Commission.Status.PAID_OUT)),
    )
    return ReferralSummary(
        code=code,
        site_link=referral_link("/", code),
        column_links=column_links,
        visits=ReferralVisit.objects.filter(referral_code=code).count(),
        paid_orders=Order.objects.filter(referrer=user).filter(status=Order.Status.PAID).count(),
        owed_fen=earnings["owed"] or 0,
        paid_out_fen=earnings["paid_out"] or 0,
        commissions=[
            CommissionLine(
                column_title=commission.order.column.title,
                created_at=commission.created_at,
                rate_percent=commission.rate_percent,
                amount_yuan=yuan(commission.amount_fen),
                status=commission.status,
                status_display=commission.get_status_display(),
            )
            for commission in Commission.objects.filter(referrer=user).select_related("order__column").order_by("-created_at")[:200]
        ],
    )


def top_referrers(column, *, limit: int = 10) -> list[dict]:
    """Who brought this column's buyers: email, paid orders and commission earned (refunds excluded)."""
    return list(
        Commission.objects.filter(order__column=column)
        .exclude(status=Commission.Status.CANCELLED)
        .values("referrer__email")
        .annotate(paid_orders=Count("pk"), commission_fen=Sum("amount_fen"))
        .order_by("-commission_fen", "referrer__email")[:limit]
    )
