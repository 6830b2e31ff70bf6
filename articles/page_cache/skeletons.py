"""Skeletons of article pages for signed-in readers who may read them in full.

A skeleton is the article page rendered with a hole where the text goes and holes where CSRF
tokens go, so the cache never holds a paid sentence or anyone's token. The view has already
decided, by the access rule, that this reader reads the article in full; the skeleton then saves
the rest of the page's queries and its template. The CSRF holes are filled first, with Django's
own `get_token`, and the text goes in last, so nothing in an article can ever receive a token.
Nothing personal is in a skeleton: the signed-in header is the same for everyone (no name, no
email), and pages that say anything about one reader (a paywall naming an expired membership,
flash messages, My columns, orders) are never kept.
"""

import functools

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language

from articles.page_cache import generation
from articles.page_cache.entries import enabled, find, is_plain_page, keep, lifetime, page_key
from articles.page_cache.visitors import MAX_PATH_CHARS, PAGE_PARAMETERS, SHARING_PARAMETERS

CAPTURING_ATTR = "page_cache_capturing"


@functools.cache
def hole(name: str) -> str:
    """A placeholder no author can type: derived from SECRET_KEY, the same on every node."""
    return "pagehole" + salted_hmac("articles.page_cache.hole", name).hexdigest()[:24]


def holes(request):
    """Template context processor: while a skeleton is rendered its CSRF tokens are holes."""
    if getattr(request, CAPTURING_ATTR, False):
        return {"csrf_token": hole("csrf")}
    return {}


def may_keep(request) -> bool:
    return (
        enabled()
        and request.method in ("GET", "HEAD")
        and len(request.get_full_path()) <= MAX_PATH_CHARS
        and all(name in PAGE_PARAMETERS or name in SHARING_PARAMETERS for name in request.GET)
        and not len(get_messages(request))  # the page would show them: render it
    )


def full_article(request, article, render):
    """The page of an article this signed-in reader may read in full: the kept skeleton with
    their CSRF token and the article's text filled in; `render(request, article,
    reads_in_full=True, content_html=…)` renders the page when there is no skeleton yet."""
    if not article.is_visible or not may_keep(request):  # an editor's preview of a draft is never kept
        return render(request, article, reads_in_full=True)
    current = generation.current()
    key = page_key("skeleton", request, language=get_language(), generation=current)
    skeleton = find(key)
    if skeleton is None:
        setattr(request, CAPTURING_ATTR, True)
        try:
            response = render(request, article, reads_in_full=True, content_html=hole("body"))
        finally:
            setattr(request, CAPTURING_ATTR, False)
        skeleton = {"content": response.content.decode(response.charset), "content_type": response["Content-Type"]}
        seconds = lifetime(current)
        if is_plain_page(response) and seconds >= 1:
            keep(key, skeleton, seconds)
        response.content = filled(request, skeleton["content"], article.body_html).encode(response.charset)
        return response
    return HttpResponse(filled(request, skeleton["content"], article.body_html), content_type=skeleton["content_type"])


def filled(request, skeleton: str, body_html: str) -> str:
    """The reader's CSRF token into its holes, then the text into the body's hole."""
    csrf_hole = hole("csrf")
    if csrf_hole in skeleton:
        skeleton = skeleton.replace(csrf_hole, get_token(request))
    before, after = skeleton.split(hole("body"), 1)
    return before + body_html + after
