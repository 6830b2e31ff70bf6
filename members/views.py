from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from articles.access import can_read_column
from articles.selectors import column_for_reader
from members.selectors import bookshelf, membership_of


@login_required
def my_columns(request):
    memberships = list(bookshelf(request.user))
    return render(request, "members/my_columns.html", {"memberships": memberships})


def join_column(request, slug):
    column = column_for_reader(slug, include_drafts=False)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = column.get_absolute_url()
    context = {
        "column": column,
        "plans": column.figures.plans,
        "membership": membership_of(request.user, column),
        "reads_everything": can_read_column(request.user, column),
        "next": next_url,
    }
    return render(request, "members/join.html", context)
