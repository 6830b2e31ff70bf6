"""Comments under articles: who reads them, who writes them, and the forms that change them."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.comments.rules import CommentRefused
from articles.comments.services import comment_post
from articles.models import Article, Comment, CommentBan, CommentLike, CommentReport
from tests.factories import make_article, make_author, make_column, make_membership, make_user
from tests.helpers import queries_for

pytestmark = pytest.mark.django_db

SECRET_COMMENT = "会员评论：这条评论只有会员能看到。"


@pytest.fixture
def author_user():
    return make_user()


@pytest.fixture
def column(author_user):
    return make_column(title="评论专栏", authors=[make_author(display_name="专栏作者", user=author_user)])


@pytest.fixture
def paid(column):
    return make_article(column, title="会员文章")


@pytest.fixture
def free(column):
    return make_article(column, title="免费文章", access=Article.Access.FREE, body="免费全文。")


@pytest.fixture
def member(column):
    user = make_user()
    make_membership(user, column, days=30)
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_comment(client, article, body, **extra):
    return client.post(reverse("articles:comment-new", kwargs={"pk": article.pk}), {"body": body, **extra})


# Reading


def test_member_reads_paid_comments_and_non_member_and_visitor_get_only_the_count(client, paid, member):
    comment_post(user=member, article=paid, body=SECRET_COMMENT)
    block = reverse("articles:comments-block", kwargs={"pk": paid.pk})
    page = reverse("articles:comments", kwargs={"pk": paid.pk})
    for url in (block, page):
        as_member = signed_in(member).get(url)
        assert as_member.status_code == 200 and SECRET_COMMENT in as_member.content.decode()
        assert "no-store" in as_member["Cache-Control"] and "private" in as_member["Cache-Control"]
        for reader in (client, signed_in(make_user())):
            response = reader.get(url)
            assert response.status_code == 403
            assert SECRET_COMMENT not in response.content.decode()
            assert "1" in response.content.decode()  # the count


def test_article_page_shows_the_count_for_everyone_and_the_loader_only_to_full_readers(client, paid, member):
    comment_post(user=member, article=paid, body=SECRET_COMMENT)
    url = paid.get_absolute_url()
    visitor_page = client.get(url).content.decode()
    member_page = signed_in(member).get(url).content.decode()
    for page in (visitor_page, member_page):
        assert 'id="comments"' in page
        assert SECRET_COMMENT not in page  # the list is never part of the kept page
    block = reverse("articles:comments-block", kwargs={"pk": paid.pk})
    assert f'data-comments-src="{block}"' in member_page and "js/comments.js" in member_page
    assert "data-comments-src" not in visitor_page


def test_visitors_read_free_articles_comments(client, free, member):
    comment_post(user=member, article=free, body="免费文章下的评论。")
    response = client.get(reverse("articles:comments", kwargs={"pk": free.pk}))
    assert response.status_code == 200
    assert "免费文章下的评论。" in response.content.decode()
    assert 'name="body"' not in response.content.decode()  # a visitor gets no form


def test_a_draft_articles_comments_are_not_found(client, column):
    draft = make_article(column, status=Article.Status.DRAFT)
    assert client.get(reverse("articles:comments", kwargs={"pk": draft.pk})).status_code == 404


def test_commenting_does_not_retire_kept_pages(client, paid, member, settings):
    from articles.page_cache import generation

    before = generation.current()
    comment = comment_post(user=member, article=paid, body="一条评论")
    CommentLike.objects.create(comment=comment, user=member)
    generation.remembered.forget()
    assert generation.current() == before


def test_the_comment_block_costs_the_same_queries_for_one_comment_or_many(paid, member, author_user):
    client = signed_in(member)
    url = reverse("articles:comments-block", kwargs={"pk": paid.pk})
    first = comment_post(user=member, article=paid, body="第一条")
    comment_post(user=author_user, article=paid, body="作者回复", parent=first)
    few = queries_for(client, url)
    for n in range(8):
        reader = make_user()
        make_membership(reader, paid.column, days=30)
        top = comment_post(user=reader, article=paid, body=f"评论{n}")
        comment_post(user=member, article=paid, body=f"回复{n}", parent=top)
        CommentLike.objects.create(comment=top, user=member)
    many = queries_for(client, url)
    # One query for every comment with its writer and likes: a query per comment would add 16 here.
    assert many == few


# Writing


def test_member_posts_and_the_author_reply_is_marked(paid, member, author_user):
    response = post_comment(signed_in(member), paid, "**好文章**，[链接](https://example.com)")
    comment = Comment.objects.get(article=paid, user=member)
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{comment.pk}")
    assert comment.body_html == '<p><strong>好文章</strong>，<a href="https://example.com" rel="nofollow ugc">链接</a></p>'
    post_comment(signed_in(author_user), paid, "谢谢", parent=comment.pk, return_to="article")
    reply = Comment.objects.get(parent=comment)
    page = signed_in(member).get(reverse("articles:comments-block", kwargs={"pk": paid.pk})).content.decode()
    author_part = page[page.index(f'id="comment-{reply.pk}"') - 200 :]
    assert "comment--author" in author_part[:400]
    reader_part = page[page.index(f'id="comment-{comment.pk}"') - 200 :]
    assert "comment--author" not in reader_part[:400]


def test_a_form_from_the_article_page_returns_to_it(paid, member):
    response = post_comment(signed_in(member), paid, "从文章页发的", return_to="article")
    assert response["Location"].startswith(paid.get_absolute_url() + "#comment-")


def test_a_reply_to_a_reply_joins_the_thread(paid, member, author_user):
    top = comment_post(user=member, article=paid, body="一")
    reply = comment_post(user=author_user, article=paid, body="二", parent=top)
    again = comment_post(user=member, article=paid, body="三", parent=reply)
    assert again.parent_id == top.pk


def test_non_members_and_visitors_cannot_comment_on_paid_articles(client, paid):
    assert post_comment(client, paid, "匿名").status_code == 302  # to the login page
    response = post_comment(signed_in(make_user()), paid, "非会员")
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_free_articles_need_a_verified_email(free):
    unverified = make_user(verified=False)
    response = post_comment(signed_in(unverified), free, "未验证")
    assert response.status_code == 403 and "未验证" in response.content.decode()  # the text is kept in the form
    assert post_comment(signed_in(make_user()), free, "已验证").status_code == 302
    assert list(Comment.objects.values_list("body", flat=True)) == ["已验证"]


def test_an_empty_or_too_long_comment_is_refused_with_the_text_kept(paid, member):
    client = signed_in(member)
    assert post_comment(client, paid, "   ").status_code == 400
    too_long = "长" * 2001
    response = post_comment(client, paid, too_long)
    assert response.status_code == 400 and too_long in response.content.decode()
    assert not Comment.objects.exists()


def test_new_accounts_are_rate_limited(paid, member):
    client = signed_in(member)
    statuses = [post_comment(client, paid, f"第{n}条").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert Comment.objects.count() == 3
    member.date_joined = timezone.now() - timedelta(days=30)
    member.save()
    assert post_comment(client, paid, "老用户").status_code == 302


def test_edit_within_fifteen_minutes_only_and_by_the_writer_only(paid, member):
    comment = comment_post(user=member, article=paid, body="原文")
    url = reverse("articles:comment-edit", kwargs={"comment_id": comment.pk})
    assert signed_in(make_user()).post(url, {"body": "别人改"}).status_code == 404  # cannot even read it
    assert signed_in(member).post(url, {"body": "改过"}).status_code == 302
    comment.refresh_from_db()
    assert comment.body == "改过" and comment.edited_at is not None and "改过" in comment.body_html
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    signed_in(member).post(url, {"body": "太晚了"})
    comment.refresh_from_db()
    assert comment.body == "改过"


def test_writer_deletes_own_comment_and_replies_stay(paid, member, author_user):
    comment = comment_post(user=member, article=paid, body="要删的")
    comment_post(user=author_user, article=paid, body="回复留着", parent=comment)
    other = make_user()
    make_membership(other, paid.column)
    url = reverse("articles:comment-delete", kwargs={"comment_id": comment.pk})
    signed_in(other).post(url)
    assert Comment.objects.get(pk=comment.pk).deleted_at is None
    signed_in(member).post(url)
    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.body == "" and comment.body_html == ""
    page = signed_in(member).get(reverse("articles:comments", kwargs={"pk": paid.pk})).content.decode()
    assert "要删的" not in page and "回复留着" in page


def test_likes_toggle_once_per_reader(paid, member, author_user):
    comment = comment_post(user=author_user, article=paid, body="点赞我")
    url = reverse("articles:comment-like", kwargs={"comment_id": comment.pk})
    client = signed_in(member)
    client.post(url)
    assert CommentLike.objects.filter(comment=comment).count() == 1
    client.post(url)
    assert CommentLike.objects.filter(comment=comment).count() == 0
    assert signed_in(make_user()).post(url).status_code == 404  # a non-member cannot like paid comments


def test_report_goes_to_the_queue(paid, member, author_user):
    comment = comment_post(user=author_user, article=paid, body="被举报")
    url = reverse("articles:comment-report", kwargs={"comment_id": comment.pk})
    assert signed_in(member).post(url, {"reason": ""}).status_code == 400
    assert signed_in(member).post(url, {"reason": "广告"}).status_code == 302
    assert CommentReport.objects.get().reason == "广告"


# Moderation


def moderate(user, comment, action, **extra):
    return signed_in(user).post(reverse("articles:comment-moderate", kwargs={"comment_id": comment.pk}), {"action": action, **extra})


def test_column_author_pins_hides_and_bans(paid, member, author_user):
    comment = comment_post(user=member, article=paid, body="被管理的评论")
    moderate(author_user, comment, "pin")
    assert Comment.objects.get(pk=comment.pk).is_pinned
    moderate(author_user, comment, "hide")
    page = signed_in(member).get(reverse("articles:comments", kwargs={"pk": paid.pk})).content.decode()
    assert "被管理的评论" not in page
    assert "被管理的评论" in signed_in(author_user).get(reverse("articles:comments", kwargs={"pk": paid.pk})).content.decode()
    moderate(author_user, comment, "ban", reason="刷屏")
    assert CommentBan.objects.filter(column=paid.column, user=member, by=author_user).exists()
    with pytest.raises(CommentRefused):
        comment_post(user=member, article=paid, body="还想说")


def test_a_reader_or_an_author_of_another_column_cannot_moderate(paid, member):
    comment = comment_post(user=member, article=paid, body="别动我")
    outsider = make_user()
    make_membership(outsider, paid.column)
    other_author = make_user()
    make_column(authors=[make_author(user=other_author)])
    for user in (outsider, other_author):
        moderate(user, comment, "hide")
    assert Comment.objects.get(pk=comment.pk).hidden_at is None


def test_editors_moderate_with_the_permission_only(paid, member):
    comment = comment_post(user=member, article=paid, body="编辑来管")
    editor = make_user(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="read_all_articles"))
    moderate(editor, comment, "hide")
    assert Comment.objects.get(pk=comment.pk).hidden_at is None
    editor.user_permissions.add(Permission.objects.get(codename="moderate_comments"))
    moderate(make_user_fresh(editor), comment, "hide")
    assert Comment.objects.get(pk=comment.pk).hidden_at is not None


def make_user_fresh(user):
    """The same account without its cached permissions."""
    return type(user).objects.get(pk=user.pk)


def test_comment_forms_need_csrf_tokens(paid, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert post_comment(client, paid, "没有令牌").status_code == 403
    page = client.get(reverse("articles:comments", kwargs={"pk": paid.pk})).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert post_comment(client, paid, "有令牌", csrfmiddlewaretoken=token).status_code == 302


# Admin


def test_admin_report_queue_hides_and_resolves(paid, member, author_user):
    comment = comment_post(user=member, article=paid, body="举报我")
    CommentReport.objects.create(comment=comment, reporter=author_user, reason="垃圾")
    editor = make_user(is_staff=True, is_superuser=True)
    client = signed_in(editor)
    for name in ("comment", "commentreport", "commentban", "commentemail"):
        assert client.get(reverse(f"admin:articles_{name}_changelist")).status_code == 200, name
    report = CommentReport.objects.get()
    response = client.post(reverse("admin:articles_commentreport_changelist"), {"action": "hide_and_resolve", "_selected_action": [report.pk]})
    assert response.status_code == 302
    report.refresh_from_db()
    comment.refresh_from_db()
    assert report.resolved_at is not None and comment.hidden_at is not None
