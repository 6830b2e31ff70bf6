import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles.selectors import column_for_reader
from members.access import can_read_column
from members.codes import RedeemError, TooManyAttempts, code_redeem_limited
from members.coupons import CouponError, PriceQuote, coupon_for_checkout
from members.forms import CheckoutForm
from members.models import Order, Plan
from members.payments import device_of, enabled_provider, enabled_providers, stripe
from members.referrals import referral_summary, referrer_for_checkout
from members.selectors import (
    bookshelf,
    membership_of,
    order_for_reader,
    orders_of,
    plan_for_sale,
    renewing_subscription,
    subscription_for_reader,
)
from members.services import PaymentMismatch, order_create, order_mark_failed, order_mark_paid
from portal.client_ip import client_ip

logger = logging.getLogger(__name__)


def safe_next(request, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return fallback


@login_required
def my_columns(request):
    context = {"memberships": bookshelf(request.user), "wechat_sign_in_offered": bool(settings.WECHAT_SIGN_IN_APPS)}
    return render(request, "members/my_columns.html", context)


@login_required
@require_POST
def subscription_renewal(request, pk):
    """Stop or resume a subscription's automatic renewal. Stripe is asked first; our record
    changes only with its answer, and the reader keeps what they paid for either way."""
    subscription = subscription_for_reader(request.user, pk)
    action = request.POST.get("action")
    if action not in ("cancel", "resume"):
        messages.error(request, _("Choose to cancel or to resume the automatic renewal."))
        return redirect("members:my-columns")
    if not subscription.is_live:
        messages.error(request, _("This automatic renewal has already ended. You can renew by hand from the column’s page."))
        return redirect("members:my-columns")
    if subscription.provider != stripe.StripeProvider.name or enabled_provider(stripe.StripeProvider.name) is None:
        messages.error(request, _("Automatic renewal cannot be changed at the moment. Nothing was changed; please try again later."))
        return redirect("members:my-columns")
    try:
        subscription = stripe.subscription_renewal_set(subscription, renew=action == "resume")
    except stripe.StripeError:
        logger.exception("Could not change the renewal of subscription %s", subscription.provider_subscription_id)
        messages.error(request, _("The payment service did not accept the change. Your automatic renewal is as it was; please try again later."))
        return redirect("members:my-columns")
    membership = membership_of(request.user, subscription.column)
    end = subscription.current_period_end or (membership.expires_at if membership else None)
    date = f"{timezone.localtime(end):%Y-%m-%d}" if end else "—"
    if subscription.renews:
        messages.success(request, _("Automatic renewal is on again: the next year is charged on %(date)s.") % {"date": date})
    else:
        messages.success(request, _("Automatic renewal is cancelled. Nothing more will be charged, and you keep reading until %(date)s.") % {"date": date})
    return redirect("members:my-columns")


def join_column(request, slug):
    column = column_for_reader(slug, include_drafts=False)
    context = {
        "column": column,
        "plans": column.figures.plans,
        "membership": membership_of(request.user, column),
        "reads_everything": can_read_column(request.user, column),
        "next": safe_next(request, column.get_absolute_url()),
    }
    return render(request, "members/join.html", context)


def paid_destination(order: Order) -> str:
    """Where a reader goes once their payment is confirmed: what they bought, or their gift's link."""
    if order.is_gift:
        return order.gift.get_absolute_url()
    return order.return_url or order.column.get_absolute_url()


def payment_received(request, order: Order) -> None:
    if order.is_gift:
        messages.success(request, _("Payment received. Your gift link is ready to forward."))
    else:
        messages.success(request, _("Payment received. Welcome, you can read everything now."))


@login_required
def checkout(request, plan_id):
    plan = plan_for_sale(plan_id)
    # A gift opens nothing for the buyer, so a lifetime member may still buy one.
    as_gift = (request.POST if request.method == "POST" else request.GET).get("gift") in ("1", "on")
    membership = membership_of(request.user, plan.column)
    if not as_gift and membership and membership.is_active() and membership.is_lifetime:
        messages.info(request, _("You already have lifetime access to this column."))
        return redirect(plan.column.get_absolute_url())
    device = device_of(request)
    providers = enabled_providers(device)
    next_url = safe_next(request, plan.column.get_absolute_url())
    raw_code = request.GET.get("coupon", "")
    already_renewing = renewing_subscription(request.user, plan.column)
    offers_renewal = plan.kind == Plan.Kind.ANNUAL and enabled_provider(stripe.StripeProvider.name) is not None and already_renewing is None
    form = CheckoutForm(
        request.POST or None,
        providers=providers,
        device=device,
        plan=plan,
        offers_renewal=offers_renewal,
        initial={"checkout_token": uuid.uuid4(), "next": next_url, "coupon": raw_code, "gift": as_gift},
    )
    coupon, coupon_error = None, None
    if request.method == "POST":
        is_valid = form.is_valid()
        coupon = form.cleaned_data.get("coupon")
        # "Apply" only shows the price with the coupon; the pay button makes the order.
        if is_valid and "apply" not in request.POST:
            provider = enabled_provider(form.cleaned_data["provider"])
            order = order_create(
                user=request.user,
                plan=plan,
                provider=provider.name,
                checkout_token=form.cleaned_data["checkout_token"],
                return_url=next_url,
                coupon=coupon,
                referrer=referrer_for_checkout(request),
                renews_automatically=provider.name == stripe.StripeProvider.name and bool(form.cleaned_data.get("renew")),
                gift_message=form.cleaned_data["gift_message"] if form.cleaned_data["gift"] else None,
            )
            if order.status != Order.Status.PENDING:
                return redirect(order.get_absolute_url())
            return redirect(provider.start(order, request).redirect_url)
    elif raw_code.strip():
        # A shared link (?coupon=CODE) shows its price at once; the form is not bound yet, so a
        # refusal is shown beside the field rather than as a form error.
        try:
            coupon = coupon_for_checkout(raw_code=raw_code, plan=plan)
        except CouponError as error:
            coupon_error = error.message
    context = {
        "plan": plan,
        "column": plan.column,
        "form": form,
        "membership": membership,
        "quote": PriceQuote.of(plan, coupon),
        "coupon": coupon,
        "coupon_error": coupon_error,
        "offers_renewal": offers_renewal,
        "already_renewing": already_renewing,
        "as_gift": as_gift,
    }
    return render(request, "members/checkout.html", context)


@login_required
def order_list(request):
    return render(request, "members/order_list.html", {"orders": orders_of(request.user)})


@login_required
def order_detail(request, number):
    order = order_for_reader(request.user, number)
    return render(request, "members/order_detail.html", {"order": order, "manual_instructions": settings.MANUAL_PAYMENT_INSTRUCTIONS})


@login_required
def sandbox_pay(request, number):
    if enabled_provider("sandbox") is None:
        raise Http404
    order = order_for_reader(request.user, number)
    if request.method == "POST":
        return sandbox_outcome(request, order)
    return render(request, "members/sandbox_pay.html", {"order": order})


def sandbox_outcome(request, order):
    if order.status != Order.Status.PENDING:
        return redirect(order.get_absolute_url())
    if request.POST.get("outcome") == "succeed":
        try:
            order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen, reference=f"sandbox-{order.number}")
        except PaymentMismatch:
            messages.error(request, _("The payment could not be applied to this order."))
            return redirect(order.get_absolute_url())
        payment_received(request, order)
        return redirect(paid_destination(order))
    order_mark_failed(order_id=order.pk, reason="sandbox: declined on request")
    messages.error(request, _("The payment failed. Nothing was charged; you can try again."))
    return redirect(order.get_absolute_url())


@login_required
def redeem_code(request):
    typed, error, status = "", None, 200
    if request.method == "POST":
        typed = request.POST.get("code", "").strip()[:64]
        try:
            membership = code_redeem_limited(user=request.user, client_ip=client_ip(request), raw_code=typed)
        except RedeemError as refusal:
            error, status = str(refusal), 429 if isinstance(refusal, TooManyAttempts) else 400
        else:
            messages.success(request, _("Code redeemed. Welcome to “%(title)s”.") % {"title": membership.column.title})
            return redirect(membership.column.get_absolute_url())
    return render(request, "members/redeem.html", {"typed": typed, "error": error}, status=status)


@login_required
def my_referrals(request):
    # Imported here so this view stays an append to a file whose imports another change is editing.

    context = {"summary": referral_summary(request.user), "window_days": settings.REFERRAL_WINDOW_DAYS}
    return render(request, "members/referrals.html", context)
