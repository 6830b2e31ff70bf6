"""Stripe's trial as its events report it; the rules are members.trials'.

A subscription bought with a trial (Checkout's `subscription_data.trial_period_days`, or
`trial_end` for a reader in the middle of a trial membership) is charged nothing at first: the
session completes with payment status `no_payment_required`, the subscription is `trialing`, and
its first invoice (`subscription_create`) is paid with 0. None of that is a payment: no order is
paid or made and no year is granted. The membership opens until the trial's end from whichever
of the 0 invoice and the trialing subscription arrives first (both name the end; the Trial row,
unique per reader and column, makes it once).

When the trial ends Stripe charges the first year, with an invoice billed as `subscription_cycle`.
That one pays the checkout order, which is still waiting for its payment and carries the
referrer, and its year starts then; each later year is a renewal order, as without a trial.

Handlers here run inside the event's transaction, like those in `events`.
"""

from datetime import datetime

from members.models import Order, Subscription, Trial
from members.payment_events import EventResult
from members.payments.stripe.api import StripeProvider
from members.payments.stripe.payloads import moment, ref_id, text
from members.services import subscription_sync
from members.trials import trial_start_by_subscription

# Statuses in which members.services.order_mark_paid still accepts the order's payment.
AWAITING_PAYMENT = (Order.Status.PENDING, Order.Status.FAILED, Order.Status.CANCELLED)


def session_trial_started(session: dict, order: Order, *, as_of=None) -> EventResult:
    """checkout.session.completed with nothing to pay. For a subscription, that is its trial:
    the subscription is placed with its order, and the trial's own events open the membership."""
    subscription_id = ref_id(session.get("subscription"))
    if text(session, "mode") != "subscription" or not subscription_id:
        return EventResult(order=order, outcome="ignored: nothing to pay and no subscription")
    subscription_sync(provider=StripeProvider.name, provider_subscription_id=subscription_id, order=order, status=Subscription.Status.TRIALING, as_of=as_of)
    return EventResult(order=order, outcome="trial: no payment yet; the trial's invoice opens the membership")


def trial_invoice_paid(*, order: Order, subscription_id: str, ends_at: datetime | None, as_of=None) -> EventResult:
    """A subscription's first invoice, paid with 0: its trial. Opens the membership until the
    trial's end (the invoice's period end), and records neither a payment nor an order."""
    subscription_sync(
        provider=StripeProvider.name,
        provider_subscription_id=subscription_id,
        order=order,
        status=Subscription.Status.TRIALING,
        current_period_end=ends_at,
        as_of=as_of,
    )
    _membership, outcome = trial_start_by_subscription(order=order, subscription_id=subscription_id, ends_at=ends_at)
    return EventResult(order=order, outcome=outcome)


def subscription_trialing(subscription: dict, order: Order | None) -> str:
    """customer.subscription.created or .updated for a subscription in its trial: opens the
    membership until `trial_end`, as the 0 invoice does (whichever comes first). An outcome to
    append; empty when the event is not about a trial of an order of ours."""
    if order is None or text(subscription, "status") != Subscription.Status.TRIALING:
        return ""
    _membership, outcome = trial_start_by_subscription(order=order, subscription_id=text(subscription, "id"), ends_at=moment(subscription.get("trial_end")))
    return outcome


def pays_checkout_order(order: Order | None, *, subscription_id: str, invoice_id: str, amount: int) -> bool:
    """Whether a subscription's yearly invoice pays the order that started it rather than making a
    renewal order: the first charge after the trial it began with, while that order still waits
    for its payment (or is already paid by this very invoice, reported again). A subscription whose
    first payment merely went unreported is not one: its invoices stay renewals."""
    if order is None:
        return False
    if order.provider_invoice_id == invoice_id:
        return True
    if order.status not in AWAITING_PAYMENT or order.amount_fen != amount:
        return False
    trial = Trial.objects.filter(user_id=order.user_id, column_id=order.column_id).first()
    if trial is None:
        return False
    if trial.how == Trial.How.STRIPE:
        return trial.reference == subscription_id
    # A trial membership: the subscription was bought during it and set to charge when it ends.
    return order.created_at < trial.ends_at
