"""GET /me/columns/<slug>/epub/: the reader's EPUB copy of a column (members/epub.py builds it).

Visitors are sent to sign in; signed-in readers who get no copy are told why with a 403. The book
is built in the request, for this reader only, and says `Cache-Control: private, no-store`, so
neither a shared cache nor the browser's keeps it. Building reads every article the reader may
read, so each reader gets DOWNLOADS_PER_HOUR downloads an hour (counted in the shared cache),
whatever the column; past that a 429 page says when to come back.
"""

import logging
from datetime import timedelta
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from articles.models import Column
from members.codes import FailureLimiter
from members.epub import MEDIA_TYPE, copy_owner, epub_build, epub_refusal
from members.selectors import membership_of

logger = logging.getLogger(__name__)

DOWNLOADS_PER_HOUR = 10
# A fixed-window counter per reader; here every download counts, not only failures.
download_limiter = FailureLimiter(prefix="epub-downloads", limit=DOWNLOADS_PER_HOUR, window=timedelta(hours=1))


@login_required
@require_GET
def column_epub(request, slug):
    column = get_object_or_404(Column.objects.published().prefetch_related("authors"), slug=slug)
    membership = membership_of(request.user, column)
    refusal = epub_refusal(request.user, column, membership)
    if refusal is not None:
        return render(request, "members/epub_unavailable.html", {"column": column, "membership": membership, "refusal": refusal}, status=403)
    keys = [f"user:{request.user.pk}"]
    minutes = download_limiter.minutes_blocked(keys)
    if minutes:
        return render(request, "members/epub_too_many.html", {"column": column, "minutes": minutes, "limit": DOWNLOADS_PER_HOUR}, status=429)
    download_limiter.record_failure(keys)
    owner = copy_owner(request.user, column, membership)
    book = epub_build(user=request.user, column=column, owner=owner)
    # Whose copy is whose, should one turn up elsewhere: the identifier is inside the book.
    logger.info("EPUB %s of column %s (%d articles) for reader %s, %s", book.identifier, column.pk, book.article_count, request.user.pk, owner.source)
    response = HttpResponse(book.data, content_type=MEDIA_TYPE)
    response["Content-Disposition"] = attachment_header(column)
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_header(column: Column) -> str:
    """The column's title as the file name (RFC 6266's filename*), and its slug for old clients."""
    title = column.title.replace("/", "-").replace("\\", "-").strip() or column.slug
    return f"attachment; filename=\"{column.slug}.epub\"; filename*=UTF-8''{quote(title + '.epub', safe='')}"
