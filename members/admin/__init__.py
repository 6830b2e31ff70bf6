"""The members app's admin, a module per concern; importing each module registers its pages."""

from members.admin import codes, coupons, emails, exports, feed_keys, gifts, memberships, orders, referrals, reminders, trials

__all__ = ["codes", "coupons", "emails", "exports", "feed_keys", "gifts", "memberships", "orders", "referrals", "reminders", "trials"]
