"""The one shape of the site's automatic emails (new articles, renewal reminders, comment emails):
subject, text and HTML rendered from `<template>_subject.txt`, `.txt` and `.html` in the site's
language, and the headers that let mail clients offer one-click unsubscribe (RFC 8058)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def automatic_email(template: str, context: dict, to: str, *, unsubscribe_url: str, connection=None, list_id: str = "") -> EmailMultiAlternatives:
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        **({"List-Id": list_id} if list_id else {}),
        "Auto-Submitted": "auto-generated",
    }
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], connection=connection, headers=headers)
    message.attach_alternative(html, "text/html")
    return message
