"""{% load epub_tags %}: the EPUB link of a column, for the reader who gets one, from what the page
already holds (the reader's membership of the column and the column's authors): no query.

Visitors' column pages are kept for everyone (articles/page_cache/), and a visitor gets no link,
so a kept page never carries one; a signed-in reader's page is never kept."""

from django import template
from django.urls import reverse

from members.epub import epub_refusal

register = template.Library()


@register.simple_tag(takes_context=True)
def epub_url(context, column, membership=None) -> str:
    """{% epub_url column membership as url %}: the download address, or "" when this reader gets no copy."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    if epub_refusal(request.user, column, membership or None) is not None:
        return ""
    return reverse("members:column-epub", kwargs={"slug": column.slug})
