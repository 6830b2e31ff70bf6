"""The comment pages and forms. The article page itself only shows how many comments there are
(kept pages stay the same for everyone); the comments come from here, asked of members.access on
every request and never kept: `comments_block` is the fragment the article page's script loads,
`comments_page` the same as a page of its own (the link without JavaScript). Every form is a plain
POST with a CSRF token that lands back where it came from, with or without JavaScript."""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles.comments.emails import comment_emails_set, user_for_unsubscribe_token, wants
from articles.comments.forms import CommentEmailSettingsForm, CommentForm, ReportForm
from articles.comments.rules import CommentRefused, is_moderator, is_new_account, may_edit, refusal_to_comment
from articles.comments.selectors import article_with_comments, comment_for_action, comment_threads, shown_comment_count
from articles.comments.services import Moderation, comment_delete, comment_edit, comment_like_toggle, comment_moderate, comment_post, comment_report
from articles.models import Comment, CommentEmail
from members.access import can_read_comments, can_see

NEW_ACCOUNT_RATE = "comment_new_account"  # ACCOUNT_RATE_LIMITS, counted in the shared cache
RETURN_TO_ARTICLE = "article"


def private(response):
    """Comment pages say who is reading (their likes, their forms): never kept, by us or anyone."""
    patch_cache_control(response, private=True, no_store=True)
    return response


def comments_context(request, article, *, form=None) -> dict:
    user = request.user
    context = {"article": article, "column": article.column, "may_read": can_read_comments(user, article)}
    if not context["may_read"]:
        return context | {"count": shown_comment_count(article.pk)}
    moderator = is_moderator(user, article.column)
    threads = comment_threads(article, user, moderator=moderator)
    for thread in threads:
        for comment in (thread.comment, *thread.replies):
            comment.own = user.is_authenticated and comment.user_id == user.pk
            comment.editable = comment.own and may_edit(user, comment)
    count = sum(thread.comment.is_shown + sum(reply.is_shown for reply in thread.replies) for thread in threads)
    refusal = refusal_to_comment(user, article)
    return context | {
        "threads": threads,
        "count": count,
        "moderator": moderator,
        "refusal": refusal,
        "form": form or (CommentForm() if refusal is None else None),
    }


def readable_article(request, pk):
    article = article_with_comments(pk, request.user)
    if not can_see(request.user, article):
        raise Http404
    return article


def render_comments(request, article, template, *, form=None, status=None):
    context = comments_context(request, article, form=form)
    if status is None:
        status = 200 if context["may_read"] else 403
    return private(render(request, template, context, status=status))


@require_GET
def comments_page(request, pk):
    return render_comments(request, readable_article(request, pk), "articles/comments/page.html")


@require_GET
def comments_block(request, pk):
    response = render_comments(request, readable_article(request, pk), "articles/comments/block.html")
    response["X-Robots-Tag"] = "noindex"
    return response


def back(request, article_id: int, comment_id: int | None = None):
    """Where a form lands: the article page (the form was in its loaded block) or the comments page."""
    name = "articles:article" if request.POST.get("return_to") == RETURN_TO_ARTICLE else "articles:comments"
    return redirect(reverse(name, kwargs={"pk": article_id}) + (f"#comment-{comment_id}" if comment_id else "#comments"))


@require_POST
def comment_new(request, pk):
    article = readable_article(request, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("articles:comments", kwargs={"pk": pk}))
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render_comments(request, article, "articles/comments/page.html", form=form, status=400)
    if is_new_account(request.user) and not ratelimit.consume(request, action=NEW_ACCOUNT_RATE, user=request.user):
        messages.error(request, _("New accounts can post only a few comments at a time. Please wait a few minutes and try again."))
        return render_comments(request, article, "articles/comments/page.html", form=form, status=429)
    parent_id = form.cleaned_data["parent"]
    parent = Comment.objects.select_related("parent").filter(pk=parent_id).first() if parent_id else None
    try:
        if parent_id and parent is None:
            raise CommentRefused(_("That comment is no longer there; it cannot be replied to."))
        comment = comment_post(user=request.user, article=article, body=form.cleaned_data["body"], parent=parent)
    except CommentRefused as refusal:
        form.add_error(None, str(refusal))
        return render_comments(request, article, "articles/comments/page.html", form=form, status=403)
    messages.success(request, _("Your comment is posted."))
    return back(request, article.pk, comment.pk)


def acting_on(request, comment_id):
    """The comment a form acts on, if this reader may see its article's comments at all."""
    comment = comment_for_action(comment_id)
    if not can_see(request.user, comment.article) or not can_read_comments(request.user, comment.article):
        raise Http404
    return comment


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_edit_page(request, comment_id):
    comment = acting_on(request, comment_id)
    if not may_edit(request.user, comment):
        messages.error(request, _("Comments can be edited for 15 minutes after posting, by their writer only."))
        return back(request, comment.article_id, comment.pk)
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            comment_edit(user=request.user, comment=comment, body=form.cleaned_data["body"])
        except CommentRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Your comment is changed."))
            return back(request, comment.article_id, comment.pk)
    status = 400 if form.errors else 200
    return private(render(request, "articles/comments/edit.html", {"comment": comment, "article": comment.article, "form": form}, status=status))


def acted(request, comment, action, success_message: str):
    try:
        action()
    except CommentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, success_message)
    return back(request, comment.article_id, comment.pk)


@login_required
@require_POST
def comment_delete_view(request, comment_id):
    comment = acting_on(request, comment_id)
    return acted(request, comment, lambda: comment_delete(user=request.user, comment=comment), _("The comment is deleted."))


@require_POST
def comment_like(request, comment_id):
    comment = acting_on(request, comment_id)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("articles:comments", kwargs={"pk": comment.article_id}))
    try:
        comment_like_toggle(user=request.user, comment=comment)
    except CommentRefused as refusal:
        messages.error(request, str(refusal))
    return back(request, comment.article_id, comment.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_report_page(request, comment_id):
    comment = acting_on(request, comment_id)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return acted(
            request,
            comment,
            lambda: comment_report(user=request.user, comment=comment, reason=form.cleaned_data["reason"]),
            _("Thank you: the column's moderators will look at this comment."),
        )
    status = 400 if form.errors else 200
    return private(render(request, "articles/comments/report.html", {"comment": comment, "article": comment.article, "form": form}, status=status))


@login_required
@require_POST
def comment_moderate_view(request, comment_id):
    comment = acting_on(request, comment_id)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")[:300]
    done = {
        Moderation.PIN: _("The comment is pinned."),
        Moderation.UNPIN: _("The comment is no longer pinned."),
        Moderation.HIDE: _("The comment is hidden from readers."),
        Moderation.UNHIDE: _("The comment is shown again."),
        Moderation.DELETE: _("The comment is deleted."),
        Moderation.BAN: _("The reader can no longer comment in this column; the comment is hidden."),
    }
    return acted(request, comment, lambda: comment_moderate(moderator=request.user, comment=comment, action=action, reason=reason), done.get(action, ""))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_email_settings(request):
    if request.method == "POST":
        form = CommentEmailSettingsForm(request.POST)
        form.is_valid()  # two optional check boxes: always valid
        comment_emails_set(user=request.user, kind=CommentEmail.Kind.REPLY, enabled=form.cleaned_data["email_replies"])
        comment_emails_set(user=request.user, kind=CommentEmail.Kind.DIGEST, enabled=form.cleaned_data["email_digest"])
        messages.success(request, _("Your comment email settings are saved."))
        return redirect("articles:comment-email-settings")
    initial = {"email_replies": wants(request.user, CommentEmail.Kind.REPLY), "email_digest": wants(request.user, CommentEmail.Kind.DIGEST)}
    return private(render(request, "articles/comments/email_settings.html", {"form": CommentEmailSettingsForm(initial=initial)}))


# Mail clients post the one-click unsubscribe (RFC 8058) without a CSRF token; the signed token in
# the address is the authority, and it only switches one kind of comment email off or on.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def comment_emails_unsubscribe(request, token):
    found = user_for_unsubscribe_token(token)
    status, changed, enabled = 200, False, None
    if found is None:
        status = 404
    else:
        user, kind = found
        if request.method == "POST":
            # A GET only shows the page: link scanners open links, and must not unsubscribe anyone.
            comment_emails_set(user=user, kind=kind, enabled=request.POST.get("action") == "resubscribe")
            changed = True
        enabled = wants(user, kind)
    context = {"found": found is not None, "kind": found[1] if found else None, "enabled": enabled, "changed": changed}
    response = private(render(request, "articles/comments/unsubscribe.html", context, status=status))
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
