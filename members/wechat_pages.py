"""The reader's WeChat Pay pages, one way of paying per device (members.payments.wechat_methods):

- on a computer, our page shows WeChat Pay's QR code (Native);
- in a phone's browser, we send the reader to WeChat Pay's cashier (H5), which opens WeChat and
  then returns them to a page that waits for WeChat Pay's word;
- inside WeChat, a page with one button opens WeChat's payment sheet (JSAPI), after a silent
  authorization for the reader's openid when we do not have it yet.

A phone never gets the QR page. Whatever the page, nothing opens until WeChat Pay confirms the
payment with its signature: "I have paid" and the pages' polling ask it (wechat.order_check), and
its notification arrives at members.webhooks.wechat_notify.
"""

import logging

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from articles.absolute_urls import absolute_url
from members.models import Order
from members.payments import device_of, enabled_provider, wechat
from members.payments.wechat_h5 import cashier_url, h5_url_for
from members.payments.wechat_jsapi import bridge_request, prepay_id_for
from members.payments.wechat_methods import Method, jsapi_app_id, method_on
from members.payments.wechat_openid import OpenidError, authorization_finish, authorization_start, openid_of
from members.selectors import order_for_reader
from members.views import paid_destination, payment_received
from portal.client_ip import client_ip

logger = logging.getLogger(__name__)


def wechat_order(request, number) -> Order:
    if enabled_provider(wechat.WechatPayProvider.name) is None:
        raise Http404
    return order_for_reader(request.user, number)


def is_payable(order) -> bool:
    return order.status == Order.Status.PENDING and order.provider == wechat.WechatPayProvider.name


def waiting_page(order, method: Method | None) -> str:
    """Where a reader waits for WeChat Pay's word on this device: never back to the H5 cashier."""
    if method == Method.H5:
        return reverse("members:wechat-pay-return", args=[order.number])
    if method == Method.JSAPI:
        return reverse("members:wechat-pay-jsapi", args=[order.number])
    return reverse("members:wechat-pay", args=[order.number])


@login_required
def wechat_pay(request, number):
    """The way in from the checkout and the order page; POST is "I have paid"."""
    order = wechat_order(request, number)
    if not is_payable(order):
        return redirect(order.get_absolute_url())
    method = method_on(device_of(request))
    if request.method == "POST":
        return payment_check(request, order, waiting_page(order, method))
    if method is None:
        messages.error(request, _("WeChat Pay cannot be used in this browser. Nothing was charged: open this order in WeChat or on a computer to pay."))
        return redirect(order.get_absolute_url())
    if method == Method.JSAPI:
        return redirect("members:wechat-pay-jsapi", number=order.number)
    if method == Method.H5:
        return_url = absolute_url(reverse("members:wechat-pay-return", args=[order.number]))
        return paying(request, order, lambda: redirect(cashier_url(h5_url_for(order, client_ip(request)), return_url)))
    return paying(request, order, lambda: qr_page(request, order))


def qr_page(request, order):
    # segno writes the SVG itself from WeChat's code_url, nothing the reader sent; a white
    # background keeps the code scannable on a dark theme.
    code_url = wechat.code_url_for(order)
    qr_svg = mark_safe(segno.make(code_url, error="m").svg_inline(scale=6, light="#fff", title=_("WeChat Pay QR code")))
    return render(request, "members/wechat_pay.html", {"order": order, "qr_svg": qr_svg, "pay_until": wechat.expires_at(order)})


def paying(request, order, show):
    """Show the way to pay, or say plainly why there is none; nothing is charged either way."""
    try:
        return show()
    except wechat.OrderExpired:
        if wechat.order_expire(order).status != Order.Status.PAID:
            messages.info(request, _("The time to pay this order has passed. Nothing was charged; you can start the purchase again."))
        return redirect(order.get_absolute_url())
    except wechat.OrderStartedElsewhere:
        messages.error(
            request,
            _(
                "This order was opened for payment on another device, so WeChat Pay will not take it here. Nothing was charged: pay on that device, or start the purchase again here."
            ),
        )
        return redirect(order.get_absolute_url())
    except wechat.WechatPayError:
        logger.exception("Could not create a WeChat Pay order for %s", order.number)
        messages.error(request, _("The payment service is not answering. Nothing was charged; please try again."))
        return redirect(order.get_absolute_url())


def payment_check(request, order, come_back: str):
    """ "I have paid": ask WeChat Pay instead of waiting for its notification."""
    try:
        order = wechat.order_check(order)
    except wechat.CheckedTooRecently:
        # The page's polling may just have asked; its answer is in our record.
        order = order_for_reader(request.user, order.number)
        if order.status == Order.Status.PENDING:
            messages.info(request, _("We checked a moment ago. Please wait a few seconds and check again."))
            return redirect(come_back)
    except wechat.WechatPayError as error:
        logger.warning("Could not ask WeChat Pay about order %s: %s", order.number, error)
        messages.error(
            request,
            _("WeChat Pay is not answering. If you have paid, your access opens as soon as it confirms; please check again in a minute."),
        )
        return redirect(come_back)
    if order.status == Order.Status.PAID:
        payment_received(request, order)
        return redirect(paid_destination(order))
    if order.status == Order.Status.PENDING:
        messages.info(request, _("WeChat Pay has not confirmed a payment for this order yet. If you have just paid, wait a moment and check again."))
        return redirect(come_back)
    return redirect(order.get_absolute_url())


@login_required
def wechat_pay_jsapi(request, number):
    """The page WeChat's browser pays on. Its address sits in one fixed directory, /pay/wechat/jsapi/,
    because WeChat Pay opens the payment sheet only on pages under a registered directory."""
    order = wechat_order(request, number)
    if not is_payable(order):
        return redirect(order.get_absolute_url())
    if method_on(device_of(request)) != Method.JSAPI:
        return redirect("members:wechat-pay", number=order.number)
    app_id = jsapi_app_id()
    openid = openid_of(request, app_id)
    if openid is None:
        redirect_uri = absolute_url(reverse("members:wechat-pay-openid", args=[order.number]))
        return redirect(authorization_start(request, app_id=app_id, number=order.number, redirect_uri=redirect_uri))

    def page():
        context = {"order": order, "bridge_request": bridge_request(prepay_id_for(order, openid)), "pay_until": wechat.expires_at(order)}
        response = render(request, "members/wechat_pay_jsapi.html", context)
        # The signed parameters are this reader's alone.
        patch_cache_control(response, private=True, no_store=True)
        return response

    return paying(request, order, page)


@login_required
def wechat_pay_openid(request, number):
    """Where WeChat's silent authorization comes back with a code for the reader's openid."""
    order = wechat_order(request, number)
    try:
        authorization_finish(request, number=order.number, code=request.GET.get("code", ""), state=request.GET.get("state", ""))
    except OpenidError as error:
        logger.warning("No openid for WeChat Pay order %s: %s", order.number, error)
        messages.error(request, _("WeChat did not confirm your account for this payment. Nothing was charged; please try again."))
        return redirect(order.get_absolute_url())
    return redirect("members:wechat-pay-jsapi", number=order.number)


@login_required
def wechat_pay_return(request, number):
    """Where WeChat's cashier sends a phone's browser back, paid or not: we wait for WeChat Pay's word."""
    order = wechat_order(request, number)
    if order.status == Order.Status.PAID:
        payment_received(request, order)
        return redirect(paid_destination(order))
    if not is_payable(order):
        return redirect(order.get_absolute_url())
    return render(request, "members/wechat_pay_return.html", {"order": order, "pay_until": wechat.expires_at(order)})


@login_required
@require_GET
def wechat_pay_status(request, number):
    """The pay pages' polling: asks WeChat Pay (at most once every few seconds per order) and says
    where to go once the order is settled."""
    order = wechat_order(request, number)
    if is_payable(order):
        try:
            order = wechat.order_check(order)
        except wechat.CheckedTooRecently:
            pass
        except wechat.WechatPayError as error:
            logger.warning("Could not ask WeChat Pay about order %s: %s", order.number, error)
    if order.status == Order.Status.PAID:
        payment_received(request, order)
        answer = {"status": order.status, "url": paid_destination(order)}
    elif order.status == Order.Status.PENDING:
        answer = {"status": order.status}
    else:
        answer = {"status": order.status, "url": order.get_absolute_url()}
    response = JsonResponse(answer)
    patch_cache_control(response, private=True, no_store=True)
    return response
