"""The members app's models, a module per concern. Every model is imported here, where Django
and the rest of the portal look for them (`from members.models import Membership`)."""

from members.models.codes import Coupon, RedeemCode, RedeemCodeQuerySet
from members.models.emails import NewArticleAnnouncement, NewArticleEmail
from members.models.exports import ColumnExport
from members.models.feeds import FeedKey
from members.models.gifts import Gift
from members.models.memberships import Membership, MembershipGrant, MembershipQuerySet
from members.models.orders import Order, PaymentEvent, Subscription
from members.models.plans import Plan
from members.models.referrals import Commission, ReferralCode, ReferralProgram, ReferralVisit
from members.models.reminders import RenewalReminder
from members.models.trials import Trial

__all__ = [
    "ColumnExport",
    "Commission",
    "Coupon",
    "FeedKey",
    "Gift",
    "Membership",
    "MembershipGrant",
    "MembershipQuerySet",
    "NewArticleAnnouncement",
    "NewArticleEmail",
    "Order",
    "PaymentEvent",
    "Plan",
    "RedeemCode",
    "RedeemCodeQuerySet",
    "ReferralCode",
    "ReferralProgram",
    "ReferralVisit",
    "RenewalReminder",
    "Subscription",
    "Trial",
]
