"""Free trials: a plan's editor sets a number of days (Plan.trial_days), and a reader new to the
column may read everything for that long, once per column, in one of two ways:

- from the join page, the column page or a paywall, without payment details: a trial membership
  (Membership.Source.TRIAL) that simply ends, as any membership with an end date does;
- by buying the annual plan through Stripe with automatic renewal: the subscription starts with
  Stripe's trial, the membership opens on Stripe's signed word until the trial's end, and the
  first charge after it pays the checkout order (members/payments/stripe/trial_events.py).

A trial is for a reader new to the column: no membership of it, current or past, and no trial
before. That is stricter than "no active membership and no trial", and on purpose: a former
member has read the column already, and every page that shows the offer knows the reader's
membership of the column already, so it shows the offer without asking anything more.

Either way a Trial row records it, and the database keeps one per reader and column: two clicks at
once, or a trial membership and a Stripe trial, make one trial. Buying during a trial replaces it
(members.services.membership_grant): the paid period starts when it is paid.
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Membership, Order, Plan, Trial
from members.services import membership_grant

logger = logging.getLogger(__name__)

# Stripe Checkout refuses a trial that ends less than 48 hours after the session is created.
STRIPE_TRIAL_END_MIN = timedelta(hours=48)
# A trial Stripe reports may end this much later than the plan's days from now (events are late, clocks differ).
STRIPE_TRIAL_SLACK = timedelta(days=1)


class TrialRefused(Exception):
    """The reader may not start this trial; the message says why, in words for the reader."""


def trial_plan(plans) -> Plan | None:
    """The plan whose trial to offer among a column's plans on sale: the longest trial (the
    cheapest plan among equals, as `plans` come cheapest first), or None when none has one."""
    with_trial = [plan for plan in plans if plan.trial_days]
    return max(with_trial, key=lambda plan: plan.trial_days, default=None)


def trial_offered(membership: Membership | None, plans) -> Plan | None:
    """What the pages show: the trial plan, for a reader with no membership of the column."""
    return None if membership is not None else trial_plan(plans)


def trial_refusal(user, column) -> str:
    """Why this reader may not start a trial of this column now; empty when they may."""
    if Trial.objects.filter(user=user, column=column).exists():
        return _("You have already had your free trial of this column.")
    membership = Membership.objects.filter(user=user, column=column).first()
    if membership is not None and membership.is_active():
        return _("You can already read this column.")
    if membership is not None:
        return _("Free trials are for readers new to this column. Choose a plan to keep reading.")
    return ""


def trial_start(*, user, plan: Plan) -> Membership:
    """Open a trial membership of the plan's column for its trial days, without payment.

    Raises TrialRefused, having changed nothing, for a plan without a trial or a reader who may not
    have one. The Trial row is written first and is unique per reader and column, so of two
    requests at once the second waits for the first and is refused."""
    if not plan.trial_days:
        raise TrialRefused(_("This plan has no free trial."))
    with transaction.atomic():
        if refusal := trial_refusal(user, plan.column):
            raise TrialRefused(refusal)
        now = timezone.now()
        try:
            with transaction.atomic():
                trial = Trial.objects.create(
                    user=user, column=plan.column, plan=plan, how=Trial.How.MEMBERSHIP, started_at=now, ends_at=now + timedelta(days=plan.trial_days)
                )
        except IntegrityError as error:
            raise TrialRefused(_("You have already had your free trial of this column.")) from error
        membership = membership_grant(user=user, column=plan.column, source=Membership.Source.TRIAL, days=plan.trial_days)
        trial.ends_at = membership.expires_at
        trial.reference = f"membership {membership.pk}"
        trial.save(update_fields=["ends_at", "reference"])
    return membership


def stripe_trial_terms(order: Order) -> dict:
    """The trial part of a Stripe subscription's `subscription_data` for this order: the plan's
    days for a reader new to the column; for a reader in the middle of a trial membership, its end
    (`trial_end`), so the days they already have free are not charged for; otherwise nothing."""
    if not order.plan.trial_days:
        return {}
    had_trial = Trial.objects.filter(user_id=order.user_id, column_id=order.column_id).exists()
    membership = Membership.objects.filter(user_id=order.user_id, column_id=order.column_id).first()
    if membership is None and not had_trial:
        return {"trial_period_days": order.plan.trial_days}
    in_trial = membership is not None and membership.is_trial and membership.is_active()
    if in_trial and membership.expires_at >= timezone.now() + STRIPE_TRIAL_END_MIN:
        return {"trial_end": int(membership.expires_at.timestamp())}
    # A trial ending within Stripe's 48 hours is replaced by the paid year from today.
    return {}


def trial_start_by_subscription(*, order: Order, subscription_id: str, ends_at: datetime | None) -> tuple[Membership | None, str]:
    """Open the membership of a Stripe subscription that began with Stripe's trial, until the
    trial's end, and record the Trial; called with Stripe's verified events, as often as they come.

    Returns (membership or None, outcome). Grants nothing when the trial is over, longer than the
    plan's trial, already applied, or the reader's trial was another one (a trial membership still
    running covers the same days: the subscription's trial was set to end with it)."""
    now = timezone.now()
    if ends_at is None or ends_at <= now:
        return None, "trial: no trial end ahead"
    plan = order.plan
    if not plan.trial_days or ends_at > now + timedelta(days=plan.trial_days) + STRIPE_TRIAL_SLACK:
        logger.error("Stripe reports a trial of order %s until %s, longer than its plan's %s days: not granted", order.number, ends_at, plan.trial_days)
        return None, f"refused: a trial until {ends_at:%Y-%m-%d} is longer than the plan's {plan.trial_days} days"
    with transaction.atomic():
        try:
            with transaction.atomic():
                Trial.objects.create(
                    user_id=order.user_id,
                    column_id=order.column_id,
                    plan=plan,
                    how=Trial.How.STRIPE,
                    reference=subscription_id,
                    started_at=now,
                    ends_at=ends_at,
                )
        except IntegrityError:
            earlier = Trial.objects.get(user_id=order.user_id, column_id=order.column_id)
            if earlier.how == Trial.How.STRIPE and earlier.reference == subscription_id:
                return None, "trial: already applied"
            return None, f"trial: the reader had a {earlier.how} trial until {earlier.ends_at:%Y-%m-%d}"
        membership = membership_grant(
            user=order.user, column=order.column, source=Membership.Source.TRIAL, until=ends_at, note=f"Stripe {subscription_id}"[:200]
        )
    return membership, f"trial until {ends_at:%Y-%m-%d %H:%M}"
