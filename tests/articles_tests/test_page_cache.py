"""Reader pages kept in the cache (articles/page_cache.py): fast, fresh, personal where they must be,
and never a container of paid text."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import page_cache
from articles.importers import service
from articles.models import Article
from tests.cache_contents import cached_texts
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def queries_of(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, len(queries.captured_queries)


@pytest.fixture
def column():
    return make_column(title="缓存专栏")


@pytest.fixture
def article(column):
    return make_article(column, title="缓存里的会员文章")


def test_an_anonymous_page_is_rendered_once_then_served_without_queries(client, column, article):
    for url in ("/", column.get_absolute_url(), article.get_absolute_url(), reverse("articles:search") + "?q=提示词"):
        first, first_queries = queries_of(client, url)
        again, again_queries = queries_of(client, url)
        assert first.status_code == again.status_code == 200
        assert first_queries > 0
        assert again_queries == 0, url
        strip = lambda body: CSRF_INPUT.sub("", body.decode())  # noqa: E731
        assert strip(first.content) == strip(again.content)


def test_a_kept_visitor_page_sets_no_cookie_and_its_language_switch_needs_no_token(column):
    url = column.get_absolute_url()
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        response = visitor.get(url)
        assert not response.cookies, "nothing per visitor: a shared cache in front could keep it too"
        assert "csrfmiddlewaretoken" not in response.content.decode()
        switched = visitor.post(reverse("set_language"), {"language": "en", "next": url})
        assert switched.status_code == 302 and switched["Location"] == url


def test_every_signed_in_reader_gets_their_own_working_csrf_token_from_a_kept_skeleton(column, article):
    url = article.get_absolute_url()
    tokens = []
    for _ in range(2):
        member = make_user()
        make_membership(member, column, days=30)
        reader = Client(enforce_csrf_checks=True)
        reader.force_login(member)
        reader.get(url)  # the first page sets the CSRF cookie; the second masks its secret anew
        page = reader.get(url).content.decode()
        assert PAID_PARAGRAPHS[0] in page
        assert "pagehole" not in page
        token = CSRF_INPUT.search(page).group(1)
        tokens.append(token)
        signed_out = reader.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
        assert signed_out.status_code == 302, "the token in the kept skeleton works with this reader's own cookie"
        assert "_auth_user_id" not in reader.session
    assert tokens[0] != tokens[1]


def test_saving_anything_a_page_shows_retires_the_kept_pages(client, column, article):
    url = article.get_absolute_url()
    client.get(url)
    article.title = "改过的标题"
    article.save()
    assert "改过的标题" in client.get(url).content.decode()
    column.title = "改过的专栏名"
    column.save()
    assert "改过的专栏名" in client.get(url).content.decode()
    assert "改过的专栏名" in client.get("/").content.decode()
    column.plans.update(price_fen=12300)  # a bulk update sends no signal …
    column.plans.first().save()  # … a save does
    assert "123" in client.get(column.get_absolute_url()).content.decode()


def test_an_import_retires_the_kept_pages(client, column):
    client.get("/")
    upload = service.Upload("新专栏.md", "# 导入的新专栏\n\n## 第一篇\n\n正文。".encode())
    report = service.import_uploads(uploads=[upload], options=service.ImportOptions(), dry_run=False)
    assert report.ok, report.failed
    assert "导入的新专栏" in client.get("/").content.decode()


def test_a_kept_page_does_not_outlive_the_next_scheduled_publication(column):
    soon = make_article(column, title="定时文章", published_at=timezone.now() + timedelta(seconds=30))
    assert soon.is_visible is False
    generation = page_cache.current_generation()
    assert 0 < page_cache.seconds_until_next_publication(generation) <= 30


def test_pages_with_a_session_or_unknown_parameters_are_rendered_afresh(client, column):
    url = column.get_absolute_url()
    client.get(url)
    assert queries_of(client, url + "?from=timeline&isappinstalled=0")[1] >= 0  # kept under its own address
    assert queries_of(client, url + "?from=timeline&isappinstalled=0")[1] == 0
    assert queries_of(client, url + "?refer=SOMEONE")[1] > 0
    assert queries_of(client, url + "?refer=SOMEONE")[1] > 0, "a referral address is never kept: it repeats in the page's links"
    reader = make_user()
    client.force_login(reader)
    assert queries_of(client, url)[1] > 0, "a signed-in reader's column page is personal"


def test_a_member_reads_the_text_from_the_database_into_a_kept_skeleton(client, column, article):
    member = make_user()
    make_membership(member, column, days=30)
    client.force_login(member)
    url = article.get_absolute_url()
    first = client.get(url).content.decode()
    response, queries = queries_of(client, url)
    body = response.content.decode()
    assert all(paragraph in first and paragraph in body for paragraph in PAID_PARAGRAPHS)
    assert queries == 1, "one statement: the reader's row, their access and the text"
    assert 'class="paywall' not in body
    assert "pagehole" not in body
    # The cache holds the skeleton, never the paid text.
    texts = cached_texts()
    assert any(page_cache.hole("body") in text for text in texts)
    assert not any(paragraph in text for text in texts for paragraph in PAID_PARAGRAPHS)


def test_access_is_checked_on_every_request_even_with_a_kept_skeleton(client, column, article):
    member = make_user()
    membership = make_membership(member, column, days=30)
    client.force_login(member)
    url = article.get_absolute_url()
    assert PAID_PARAGRAPHS[0] in client.get(url).content.decode()
    membership.revoked_at = timezone.now()
    membership.save()
    body = client.get(url).content.decode()
    assert PAID_PARAGRAPHS[0] not in body
    assert 'class="paywall' in body
    # Someone else signed in, not a member, never gets the skeleton's text.
    other = Client()
    other.force_login(make_user())
    assert PAID_PARAGRAPHS[0] not in other.get(url).content.decode()


@pytest.mark.parametrize("change", ["deactivated", "password changed elsewhere", "deleted"])
def test_the_fast_path_still_checks_the_signed_in_user_as_django_does(client, column, article, change):
    """The user's row comes in the same statement as the text, but Django's own checks (active
    account, session hash) still decide whether anyone is signed in."""
    member = make_user()
    make_membership(member, column, days=30)
    client.force_login(member)
    url = article.get_absolute_url()
    assert PAID_PARAGRAPHS[0] in client.get(url).content.decode()
    if change == "deactivated":
        member.is_active = False
        member.save()
    elif change == "password changed elsewhere":
        member.set_password("a-brand-new-password-9")
        member.save()
    else:
        member.delete()
    body = client.get(url).content.decode()
    assert PAID_PARAGRAPHS[0] not in body
    assert 'class="paywall' in body


def test_an_expired_membership_is_refused_by_the_fast_path(client, column, article):
    member = make_user()
    make_membership(member, column, expired=True)
    client.force_login(member)
    body = client.get(article.get_absolute_url()).content.decode()
    assert PAID_PARAGRAPHS[0] not in body
    assert "已于" in body or "ended" in body or 'class="paywall' in body


def test_a_flash_message_is_shown_not_cached_away(client, column, article):
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    member = make_user()
    make_membership(member, column, days=30)
    client.force_login(member)
    url = article.get_absolute_url()
    client.get(url)  # the skeleton is kept
    client.cookies["messages"] = CookieStorage(RequestFactory().get("/"))._encode([Message(25, "欢迎回来，消息一定要显示")])
    assert "欢迎回来，消息一定要显示" in client.get(url).content.decode()
    assert "欢迎回来，消息一定要显示" not in client.get(url).content.decode(), "shown once"


def test_article_pages_answer_conditional_gets(client, column, article):
    url = article.get_absolute_url()
    for reader in (None, "member"):
        if reader:
            member = make_user()
            make_membership(member, column, days=30)
            client.force_login(member)
        first = client.get(url)
        etag = first["ETag"]
        assert etag.startswith('W/"')
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        # What this reader sees changes: the preview for a visitor, the text for a member.
        field = "body_html" if reader else "preview_html"
        Article.objects.filter(pk=article.pk).update(**{field: getattr(article, field) + f"<p>{field}改了</p>"})
        page_cache.pages_changed()
        changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert changed.status_code == 200
        assert changed["ETag"] != etag
        # Every precondition is honoured on a kept page, not only If-None-Match.
        current = changed["ETag"]
        assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
        assert client.get(url, HTTP_IF_MATCH='"another"').status_code == 412
        assert client.get(url, HTTP_IF_MATCH="*").status_code == 200
        assert client.get(url, HTTP_IF_NONE_MATCH=f'"x", {current}').status_code == 304


def test_drafts_seen_by_editors_are_never_kept(client, column):
    draft = make_article(column, title="编辑才能看的草稿", status=Article.Status.DRAFT)
    editor = make_user(is_staff=True)
    client.force_login(editor)
    assert client.get(draft.get_absolute_url()).status_code == 200
    assert not any("编辑才能看的草稿" in text for text in cached_texts())
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_nothing_is_kept_when_the_page_cache_is_off(client, settings, column):
    settings.PAGE_CACHE_SECONDS = 0
    url = column.get_absolute_url()
    client.get(url)
    assert queries_of(client, url)[1] > 0
