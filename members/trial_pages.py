"""The free-trial button: one POST opens a trial membership, without payment details.

The offer itself is shown by the join page, the column page and the paywall
(templates/members/includes/trial_offer.html); the rules are in members/trials.py.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles.models import Column
from members.models import Plan
from members.trials import TrialRefused, trial_start
from members.views import safe_next


@require_POST
def trial_begin(request, slug, plan_id):
    plan = get_object_or_404(
        Plan.objects.select_related("column"), pk=plan_id, column__slug=slug, is_active=True, column__status=Column.Status.PUBLISHED, column__is_free=False
    )
    join_url = reverse("members:join", kwargs={"slug": slug})
    if not request.user.is_authenticated:
        # Back to the join page after signing in: this address only answers a POST.
        return redirect_to_login(join_url)
    try:
        membership = trial_start(user=request.user, plan=plan)
    except TrialRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(join_url)
    date = f"{timezone.localtime(membership.expires_at):%Y-%m-%d %H:%M}"
    messages.success(request, _("Your free trial has started: read everything until %(date)s. It ends by itself; nothing is charged.") % {"date": date})
    return redirect(safe_next(request, plan.column.get_absolute_url()))
