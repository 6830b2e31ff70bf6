"""Emails about memberships. Texts live in templates/members/email/."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def send_order_receipt(order) -> None:
    context = {"order": order, "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL.rstrip("/")}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("members/email/receipt_subject.txt", context).strip()
        body = render_to_string("members/email/receipt.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [order.user.email])
