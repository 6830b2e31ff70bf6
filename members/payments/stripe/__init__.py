"""Stripe Checkout through the official `stripe` SDK: the reader pays on Stripe's page, and only a
signed webhook event activates anything. An annual plan at full price may be bought as a yearly
subscription: each paid renewal invoice becomes an order of its own.

- `api`: talking to Stripe (the provider, Checkout Sessions, the renewal switch);
- `webhook`: verifying an event and handing it to its handler;
- `events`: what each event does to orders, subscriptions and disputes;
- `payloads`: reading Stripe's payloads whatever their API version.

Modules inside this package import the SDK as `import stripe`: imports are absolute, so that name
is the SDK, never this package.
"""

from members.payments.stripe.api import StripeError, StripeProvider, checkout_session_create, subscribes, subscription_renewal_set
from members.payments.stripe.webhook import EVENT_HANDLERS, SignatureError, event_from_webhook, event_handle

__all__ = [
    "EVENT_HANDLERS",
    "SignatureError",
    "StripeError",
    "StripeProvider",
    "checkout_session_create",
    "event_from_webhook",
    "event_handle",
    "subscribes",
    "subscription_renewal_set",
]
