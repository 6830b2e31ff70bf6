"""{% load trial_tags %}: which free trial a page offers, from what the page already holds (the
reader's membership of the column and its plans on sale), so offering it costs no query."""

from django import template

from members.trials import trial_offered

register = template.Library()


@register.filter
def trial_offer(membership, plans):
    """{% with trial_plan=membership|trial_offer:plans %}: the plan whose trial to offer, or None."""
    return trial_offered(membership or None, plans or [])
