"""Uploaded media served by the application (DJANGO_SERVE_MEDIA): never as anything but an image.

The content type comes from the extension the portal itself wrote (articles.images names every
stored image); any other file is sent as an attachment of no particular type. nosniff stops a
browser from guessing otherwise, and the sandbox policy keeps a file opened directly from
running anything even if it somehow were a document.
"""

from django.conf import settings
from django.http import Http404
from django.views.static import serve

from articles.images import content_type_for

MEDIA_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


# Uploaded import documents once lived here; whatever is left of them is never served.
PRIVATE_PREFIXES = ("import-batches/",)


def serve_media(request, path: str):
    if path.lstrip("/").startswith(PRIVATE_PREFIXES):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    content_type = content_type_for(path)
    if content_type is None:
        response["Content-Type"] = "application/octet-stream"
        response["Content-Disposition"] = "attachment"
    else:
        response["Content-Type"] = content_type
        response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_POLICY
    return response
