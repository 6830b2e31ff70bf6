"""Django admin's login form, behind the same rate limit as the readers' login.

Every password tried at /admin/login/ counts against the client address and against the username
(ACCOUNT_RATE_LIMITS["admin_login"], in the shared cache), so neither one address guessing many
passwords nor many addresses guessing one account's get far. A successful login clears the count.
"""

from functools import wraps

from allauth.core import ratelimit
from django.shortcuts import render

ACTION = "admin_login"


def rate_limited_login(login_view):
    @wraps(login_view)
    def view(request, *args, **kwargs):
        if request.method != "POST":
            return login_view(request, *args, **kwargs)
        username = request.POST.get("username", "").strip().lower()
        if not ratelimit.consume(request, action=ACTION, key=username):
            return too_many_attempts(request)
        response = login_view(request, *args, **kwargs)
        if request.user.is_authenticated:
            ratelimit.clear(request, action=ACTION, key=username)
        return response

    return view


def too_many_attempts(request):
    return render(request, "429.html", status=429)
