"""Reading Stripe's payloads, events and API answers alike, as plain dicts.

Each helper answers with an empty value rather than raising on a missing key or an unexpected type:
Stripe's payloads differ between API versions, and a surprise is logged by the caller, never a crash
that Stripe would retry for days.
"""

from datetime import UTC, datetime


def mapping(container, key: str) -> dict:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, dict) else {}


def text(container, key: str) -> str:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, str) else ""


def ref_id(value) -> str:
    """An expandable field: an id string, or the expanded object carrying its id."""
    if isinstance(value, str):
        return value
    return text(value, "id")


def whole_number(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def moment(value) -> datetime | None:
    seconds = whole_number(value)
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def first_item(container, key: str) -> dict:
    items = mapping(container, key).get("data")
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def period_end_of_subscription(subscription: dict) -> datetime | None:
    """On the subscription before API 2025-03-31, on its items after."""
    return moment(subscription.get("current_period_end")) or moment(first_item(subscription, "items").get("current_period_end"))


def stops_renewing(subscription: dict) -> bool:
    # Newer dashboards cancel "at period end" through cancel_at rather than cancel_at_period_end.
    return subscription.get("cancel_at_period_end") is True or whole_number(subscription.get("cancel_at")) is not None
