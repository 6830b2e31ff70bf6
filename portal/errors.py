"""Error pages. They render without the database, so they still work when it is what failed."""

import sys

from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

# Long enough for a database restart; short enough that readers retry soon.
RETRY_AFTER_SECONDS = 30


@requires_csrf_token
def server_error(request):
    """handler500: a database outage gets a friendly 503 that asks to retry, not a 500."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
