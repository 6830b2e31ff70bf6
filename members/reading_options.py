"""What a member chooses about how a column reaches them: the private feed address (issued,
replaced, switched off), new-article emails and renewal reminders (each on or off, and switched off
by the one-click unsubscribe link in each email, which works without logging in)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from members.feed_keys import feed_key_issue, feed_key_revoke
from members.models import Membership
from members.notifications import membership_for_unsubscribe_token, membership_set_email_new_articles
from members.renewal_reminders import membership_for_reminders_token, membership_set_renewal_reminders


def own_membership(user, slug: str) -> Membership:
    membership = Membership.objects.select_related("column").filter(user=user, column__slug=slug).first()
    if membership is None:
        raise Http404
    return membership


def back_to_bookshelf(membership: Membership):
    return redirect(f"{reverse('members:my-columns')}#reading-options-{membership.column.slug}")


@login_required
@require_POST
def feed_key_change(request, slug):
    membership = own_membership(request.user, slug)
    action = request.POST.get("action")
    if action == "new":
        feed_key_issue(user=request.user, column=membership.column)
        messages.success(request, _("Your private feed of “%(title)s” has a new address; the old one no longer works.") % {"title": membership.column.title})
    elif action == "revoke":
        feed_key_revoke(user=request.user, column=membership.column)
        messages.success(request, _("Your private feed of “%(title)s” is switched off.") % {"title": membership.column.title})
    else:
        messages.error(request, _("Nothing was changed: choose a new address or switch the feed off."))
    return back_to_bookshelf(membership)


@login_required
@require_POST
def email_preference(request, slug):
    membership = own_membership(request.user, slug)
    choice = request.POST.get("email_new_articles")
    if choice not in ("on", "off"):
        messages.error(request, _("Nothing was changed: choose whether to receive the emails."))
        return back_to_bookshelf(membership)
    membership_set_email_new_articles(membership=membership, enabled=choice == "on")
    if choice == "on":
        messages.success(request, _("New articles of “%(title)s” will be emailed to you.") % {"title": membership.column.title})
    else:
        messages.success(request, _("No more emails about new articles of “%(title)s”.") % {"title": membership.column.title})
    return back_to_bookshelf(membership)


@login_required
@require_POST
def renewal_reminders_preference(request, slug):
    membership = own_membership(request.user, slug)
    choice = request.POST.get("renewal_reminders")
    if choice not in ("on", "off"):
        messages.error(request, _("Nothing was changed: choose whether to receive the reminders."))
        return back_to_bookshelf(membership)
    membership_set_renewal_reminders(membership=membership, enabled=choice == "on")
    if choice == "on":
        messages.success(request, _("You will be reminded before your membership of “%(title)s” ends.") % {"title": membership.column.title})
    else:
        messages.success(request, _("No more renewal reminders for “%(title)s”.") % {"title": membership.column.title})
    return back_to_bookshelf(membership)


# Mail clients post the one-click unsubscribe (RFC 8058) without a CSRF token; the signed token in
# the address is the authority, and it only ever switches one column's emails off or on.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    return unsubscribe_page(request, membership_for_unsubscribe_token(token), switch=membership_set_email_new_articles, template="members/unsubscribe.html")


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def renewal_reminders_unsubscribe(request, token):
    return unsubscribe_page(
        request, membership_for_reminders_token(token), switch=membership_set_renewal_reminders, template="members/renewal_reminders_unsubscribe.html"
    )


def unsubscribe_page(request, membership, *, switch, template: str):
    status, changed = 200, False
    if membership is None:
        status = 404
    elif request.method == "POST":
        # A mail client's one-click post carries List-Unsubscribe=One-Click; our page's buttons say which way.
        switch(membership=membership, enabled=request.POST.get("action") == "resubscribe")
        changed = True
    # A GET only shows the page: link scanners in mail systems open links, and must not unsubscribe anyone.
    response = render(request, template, {"membership": membership, "changed": changed}, status=status)
    patch_cache_control(response, private=True, no_store=True)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
