import logging
import uuid

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from articles.access import can_read_column
from articles.selectors import column_for_reader
from members.codes import RedeemError, TooManyAttempts, code_redeem_limited
from members.coupons import CouponError, PriceQuote, coupon_for_checkout
from members.forms import CheckoutForm
from members.models import Order
from members.payments import enabled_provider, enabled_providers, wechat
from members.referrals import referral_summary, referrer_for_checkout
from members.selectors import bookshelf, membership_of, order_for_reader, orders_of, plan_for_sale
from members.services import PaymentMismatch, order_create, order_mark_failed, order_mark_paid

logger = logging.getLogger(__name__)


def safe_next(request, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return fallback


@login_required
def my_columns(request):
    memberships = list(bookshelf(request.user))
    return render(request, "members/my_columns.html", {"memberships": memberships})


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


@login_required
def checkout(request, plan_id):
    plan = plan_for_sale(plan_id)
    membership = membership_of(request.user, plan.column)
    if membership and membership.is_active() and membership.is_lifetime:
        messages.info(request, _("You already have lifetime access to this column."))
        return redirect(plan.column.get_absolute_url())
    providers = enabled_providers()
    next_url = safe_next(request, plan.column.get_absolute_url())
    raw_code = request.GET.get("coupon", "")
    form = CheckoutForm(
        request.POST or None,
        providers=providers,
        plan=plan,
        initial={"checkout_token": uuid.uuid4(), "next": next_url, "coupon": raw_code},
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
        messages.success(request, _("Payment received. Welcome, you can read everything now."))
        return redirect(order.return_url or order.column.get_absolute_url())
    order_mark_failed(order_id=order.pk, reason="sandbox: declined on request")
    messages.error(request, _("The payment failed. Nothing was charged; you can try again."))
    return redirect(order.get_absolute_url())


@login_required
def redeem_code(request):
    typed, error, status = "", None, 200
    if request.method == "POST":
        typed = request.POST.get("code", "").strip()[:64]
        try:
            membership = code_redeem_limited(user=request.user, client_ip=request.META.get("REMOTE_ADDR", ""), raw_code=typed)
        except RedeemError as refusal:
            error, status = str(refusal), 429 if isinstance(refusal, TooManyAttempts) else 400
        else:
            messages.success(request, _("Code redeemed. Welcome to “%(title)s”.") % {"title": membership.column.title})
            return redirect(membership.column.get_absolute_url())
    return render(request, "members/redeem.html", {"typed": typed, "error": error}, status=status)


@login_required
def wechat_pay(request, number):
    if enabled_provider(wechat.WechatPayProvider.name) is None:
        raise Http404
    order = order_for_reader(request.user, number)
    if order.status != Order.Status.PENDING or order.provider != wechat.WechatPayProvider.name:
        return redirect(order.get_absolute_url())
    try:
        code_url = wechat.code_url_for(order)
    except wechat.WechatPayError:
        logger.exception("Could not create a WeChat Pay order for %s", order.number)
        messages.error(request, _("The payment service is not answering. Nothing was charged; please try again."))
        return redirect(order.get_absolute_url())
    # segno writes the SVG itself from WeChat's code_url, nothing the reader sent; a white
    # background keeps the code scannable on a dark theme.
    qr_svg = mark_safe(segno.make(code_url, error="m").svg_inline(scale=6, light="#fff", title=_("WeChat Pay QR code")))
    return render(request, "members/wechat_pay.html", {"order": order, "qr_svg": qr_svg})


@login_required
def my_referrals(request):
    # Imported here so this view stays an append to a file whose imports another change is editing.

    context = {"summary": referral_summary(request.user), "window_days": settings.REFERRAL_WINDOW_DAYS}
    return render(request, "members/referrals.html", context)
