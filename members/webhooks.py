"""The pages payment providers talk to: Stripe's webhook, WeChat Pay's and Alipay's notifications,
and the page that shows the reader WeChat Pay's QR code. The notification endpoints read the raw
body, trust only what verifies, and answer 2xx to every verified notification so the provider stops
sending it."""

import logging

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from members.payment_events import RetryLater, payment_event_apply
from members.payments import alipay, enabled_provider, stripe, wechat

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    if enabled_provider(stripe.StripeProvider.name) is None:
        raise Http404
    try:
        event = stripe.event_from_webhook(request.body, request.headers.get("Stripe-Signature", ""), secret=settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureError as error:
        logger.warning("Refused a Stripe webhook: %s", error)
        return HttpResponse(str(error), status=400, content_type="text/plain")
    try:
        payment_event_apply(
            provider=stripe.StripeProvider.name,
            event_id=event["id"],
            event_type=event["type"],
            payload=event,
            handler=stripe.event_handle,
        )
    except RetryLater as reason:
        # Not recorded: Stripe resends it, by when the event it depends on has been applied.
        logger.info("Stripe event %s handed back for a retry: %s", event["id"], reason)
        return HttpResponse(f"Not ready: {reason}", status=409, content_type="text/plain")
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def wechat_notify(request):
    if enabled_provider(wechat.WechatPayProvider.name) is None:
        raise Http404
    # WeChat Pay's contract: 200 or 204 with no body means received; 4xx/5xx with
    # {"code": "FAIL", "message": …} means "send it again later".
    try:
        notification = wechat.notification_from_request(request.body, request.headers)
    except wechat.NotificationProbe as probe:
        logger.info("Refused WeChat Pay's signature probe: %s", probe)
        return JsonResponse({"code": "FAIL", "message": str(probe)}, status=401)
    except wechat.NotificationError as error:
        logger.warning("Refused a WeChat Pay notification: %s", error)
        return JsonResponse({"code": "FAIL", "message": str(error)}, status=400)
    try:
        payment_event_apply(
            provider=wechat.WechatPayProvider.name,
            event_id=notification["id"],
            event_type=notification["event_type"],
            payload=notification,
            handler=wechat.notification_handle,
        )
    except Exception:
        # Nothing was recorded (the transaction rolled back); WeChat Pay must not be told otherwise.
        logger.exception("Could not apply WeChat Pay notification %s; it will be sent again", notification["id"])
        return JsonResponse({"code": "FAIL", "message": "Not applied; please send it again."}, status=500)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def alipay_notify(request):
    if enabled_provider(alipay.AlipayProvider.name) is None:
        raise Http404
    # Alipay's contract: the literal body "success" means received; anything else, and it sends the
    # notification again (eight times over about a day).
    try:
        notification = alipay.notification_from_body(request.body)
    except alipay.NotificationError as error:
        logger.warning("Refused an Alipay notification: %s", error)
        return HttpResponse(str(error), status=400, content_type="text/plain")
    try:
        payment_event_apply(
            provider=alipay.AlipayProvider.name,
            event_id=notification["notify_id"],
            event_type=alipay.event_type_of(notification),
            payload=notification,
            handler=alipay.notification_handle,
        )
    except Exception:
        # Nothing was recorded (the transaction rolled back); Alipay must not be told otherwise.
        logger.exception("Could not apply Alipay notification %s; it will be sent again", notification["notify_id"])
        return HttpResponse("fail", status=500, content_type="text/plain")
    return HttpResponse("success", content_type="text/plain")
