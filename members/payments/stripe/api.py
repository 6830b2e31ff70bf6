"""Talking to Stripe through its official SDK: the Checkout Session that starts a payment, and the
switch that stops or resumes a subscription's renewal.

The SDK signs each request with the secret key, pins the API version it was built for, and retries
what is safe to retry (lost connections, 409, 5xx) up to NETWORK_RETRIES times. Every POST carries an
idempotency key, so a retry can never create a second session or flip a switch twice.
"""

import logging
import uuid
from collections.abc import Callable
from functools import lru_cache

import stripe
from django.conf import settings
from django.contrib import messages
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.models import Plan, Subscription
from members.payments.base import ProviderStart
from members.payments.stripe.payloads import period_end_of_subscription, stops_renewing, text
from members.services import subscription_sync
from members.trials import stripe_trial_terms

logger = logging.getLogger(__name__)

CURRENCY = "cny"
NETWORK_RETRIES = 2
TIMEOUT_SECONDS = 20


class StripeError(Exception):
    """Stripe could not be reached or refused the request."""


class StripeProvider:
    name = "stripe"
    label = _("Card, Alipay or WeChat Pay through Stripe")

    def is_enabled(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def offered_on(self, device) -> bool:
        return True

    def label_on(self, device) -> str:
        return self.label

    def start(self, order, request) -> ProviderStart:
        try:
            session = checkout_session_create(order)
        except StripeError:
            logger.exception("Could not create a Stripe Checkout Session for order %s", order.number)
            messages.error(request, gettext("The payment service is not answering. Nothing was charged; please try again."))
            return ProviderStart(redirect_url=order.get_absolute_url())
        order.provider_reference = session["id"]
        order.save(update_fields=["provider_reference", "updated_at"])
        return ProviderStart(redirect_url=session["url"])


def subscribes(order) -> bool:
    """Whether this order is paid as a yearly subscription rather than once."""
    return order.renews_automatically and order.plan_kind == Plan.Kind.ANNUAL and order.discount_fen == 0


def checkout_session_create(order) -> dict:
    site = settings.SITE_URL.rstrip("/")
    price_data = {
        "currency": CURRENCY,
        "unit_amount": order.amount_fen,
        "product_data": {"name": f"{order.column.title} · {order.get_plan_kind_display()}"[:250]},
    }
    params = {
        "client_reference_id": order.number,
        "metadata": {"order_number": order.number},
        "line_items": [{"quantity": 1, "price_data": price_data}],
        # The success page only shows the order; the membership comes from the webhook alone.
        "success_url": site + order.get_absolute_url(),
        "cancel_url": site + reverse("members:checkout", kwargs={"plan_id": order.plan_id}),
    }
    if order.user.email:
        params["customer_email"] = order.user.email
    if subscribes(order):
        params["mode"] = "subscription"
        price_data["recurring"] = {"interval": "year"}
        # Copied onto the subscription and named by its invoices, so a renewal or an invoice that
        # overtakes the session's completion still finds the order that started it.
        params["subscription_data"] = {"metadata": {"order_number": order.number}}
        # Stripe's own trial (members.trials): nothing is charged until it ends, and the invoices
        # it makes on the way are for 0 and pay nothing (members/payments/stripe/trial_events.py).
        params["subscription_data"].update(stripe_trial_terms(order))
    else:
        params["mode"] = "payment"
        # Copied onto the payment and its charge, so a refund finds the order even before the
        # session's completion has told us the payment intent.
        params["payment_intent_data"] = {"metadata": {"order_number": order.number}}
    session = stripe_call(
        "a Checkout Session",
        # The same order resubmitted within Stripe's 24 hours gets the same session back.
        lambda client: client.v1.checkout.sessions.create(params, {"idempotency_key": f"checkout-session-{order.number}"}),
    )
    if not text(session, "id") or not text(session, "url"):
        raise StripeError(f"Stripe answered without a session: {session}")
    return session


def subscription_renewal_set(subscription: Subscription, *, renew: bool) -> Subscription:
    """Ask Stripe to stop (or resume) renewing at the end of the paid period, then record its
    answer. Raises StripeError, leaving our row as it was, when Stripe refuses or is unreachable."""
    answer = stripe_call(
        f"subscription {subscription.provider_subscription_id}",
        lambda client: client.v1.subscriptions.update(
            subscription.provider_subscription_id,
            {"cancel_at_period_end": not renew},
            # Each click is a new request: a key reused for the opposite change would replay the old answer.
            {"idempotency_key": f"subscription-renewal-{subscription.pk}-{uuid.uuid4().hex}"},
        ),
    )
    if text(answer, "id") != subscription.provider_subscription_id:
        raise StripeError(f"Stripe answered about another subscription: {text(answer, 'id')!r}")
    return subscription_sync(
        provider=StripeProvider.name,
        provider_subscription_id=subscription.provider_subscription_id,
        status=text(answer, "status"),
        cancel_at_period_end=stops_renewing(answer) if isinstance(answer.get("cancel_at_period_end"), bool) else not renew,
        current_period_end=period_end_of_subscription(answer),
        as_of=timezone.now(),
    )


def stripe_call(what: str, request: Callable[[stripe.StripeClient], stripe.StripeObject]) -> dict:
    """One request through the SDK, its answer as a plain dict and its failures as StripeError,
    with Stripe's own explanation for the log and the view."""
    try:
        answer = request(stripe_client())
    except stripe.APIConnectionError as error:
        raise StripeError(f"Stripe could not be reached for {what}: {error.user_message}") from error
    except stripe.StripeError as error:
        raise StripeError(f"Stripe refused {what} with {error.http_status}: {error.user_message}") from error
    return answer.to_dict()


def stripe_client() -> stripe.StripeClient:
    """A client for the configured key; cheap to make, so a changed key takes effect at once."""
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=NETWORK_RETRIES, http_client=http_client())


@lru_cache(maxsize=1)
def http_client() -> stripe.HTTPClient:
    """The SDK's HTTP layer, shared so connections are reused (one session per thread); tests
    replace it with one that answers recorded payloads."""
    return stripe.RequestsClient(timeout=TIMEOUT_SECONDS)
