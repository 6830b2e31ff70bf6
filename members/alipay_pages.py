"""The reader's side of Alipay: the way back to Alipay's cashier for a pending order, and the page
Alipay sends the reader back to after paying. That page never trusts what the browser brings: it
asks Alipay and shows what Alipay's signed answer says."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from members.models import Order
from members.payments import Device, alipay, device_of, enabled_provider
from members.selectors import order_for_reader
from members.views import paid_destination, payment_received

logger = logging.getLogger(__name__)


def alipay_order(request, number) -> Order:
    if enabled_provider(alipay.AlipayProvider.name) is None:
        raise Http404
    return order_for_reader(request.user, number)


@login_required
def alipay_pay(request, number):
    """Continue to payment, for an order the reader left: a freshly signed cashier address."""
    order = alipay_order(request, number)
    if order.status != Order.Status.PENDING or order.provider != alipay.AlipayProvider.name:
        return redirect(order.get_absolute_url())
    device = device_of(request)
    if device == Device.WECHAT:
        messages.info(request, _("WeChat does not open Alipay. Open this page in your phone’s browser to pay with Alipay."))
        return redirect(order.get_absolute_url())
    try:
        return redirect(alipay.pay_url(order, device))
    except alipay.OrderExpired:
        if alipay.order_expire(order).status != Order.Status.PAID:
            messages.info(request, _("The time to pay this order has passed. Nothing was charged; you can start the purchase again."))
        return redirect(order.get_absolute_url())


@login_required
def alipay_return(request, number):
    order = alipay_order(request, number)
    if order.provider != alipay.AlipayProvider.name:
        return redirect(order.get_absolute_url())
    # Whatever Alipay's redirect appended to this address (trade_no, total_amount, even a sign) is
    # ignored: anyone can type a query string. Only Alipay's signed answer to our question counts.
    if order.status == Order.Status.PENDING:
        order = order_checked(request, order)
    if order.status == Order.Status.PAID:
        payment_received(request, order)
        return redirect(paid_destination(order))
    if order.status not in (Order.Status.PENDING, Order.Status.FAILED):
        return redirect(order.get_absolute_url())
    context = {"order": order, "pay_until": alipay.expires_at(order), "payable": not alipay.order_is_expired(order)}
    return render(request, "members/alipay_return.html", context)


def order_checked(request, order) -> Order:
    try:
        return alipay.order_check(order)
    except alipay.CheckedTooRecently:
        messages.info(request, _("We checked a moment ago. Please wait a few seconds and check again."))
    except alipay.AlipayError as error:
        logger.warning("Could not ask Alipay about order %s: %s", order.number, error)
        messages.error(request, _("Alipay is not answering. If you have paid, your access opens as soon as it confirms; please check again in a minute."))
    return order
