"""Reader pages kept in the cache (articles/page_cache/): fast, fresh, personal where they must be,
and never a container of paid text."""

import re
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import page_cache
from articles.importers import service
from articles.models import Article, Column, PageGeneration
from articles.page_cache import entries, generation
from articles.page_cache.skeletons import hole
from tests.cache_contents import cached_texts
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def queries_of(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, len(queries.captured_queries)


@pytest.fixture(autouse=True)
def generation_read_every_time(settings):
    """Most tests change rows and look at once: the generation is read from the database each time."""
    settings.PAGE_CACHE_GENERATION_SECONDS = 0
    generation.remembered.forget()


@pytest.fixture
def column():
    return make_column(title="缓存专栏")


@pytest.fixture
def article(column):
    return make_article(column, title="缓存里的会员文章")


def test_an_anonymous_page_is_rendered_once_then_served_without_queries(client, settings, column, article):
    settings.PAGE_CACHE_GENERATION_SECONDS = 60  # as in production: the generation is remembered a while
    for url in ("/", column.get_absolute_url(), article.get_absolute_url(), reverse("articles:search") + "?q=提示词"):
        first, first_queries = queries_of(client, url)
        again, again_queries = queries_of(client, url)
        assert first.status_code == again.status_code == 200
        assert first_queries > 0
        assert again_queries == 0, url
        assert first.content == again.content
        # The kept copy carries the headers the whole middleware stack gave the page.
        for header in ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options", "Content-Language", "Vary", "Cache-Control"):
            assert again[header] == first[header], header


def test_kept_visitor_pages_tell_shared_caches_how_long_they_may_keep_them(client, settings, column):
    settings.PAGE_SHARED_CACHE_SECONDS = 7
    for _ in range(2):
        response = client.get(column.get_absolute_url())
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert directives == {"public", "max-age=0", "s-maxage=7"}
        assert "Cookie" in response["Vary"], "nginx or a CDN must not hand it to a reader with a session"


def test_a_signed_in_readers_page_is_private(client, column, article):
    client.force_login(make_user())
    response = client.get(article.get_absolute_url())
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_sharing_parameters_make_no_entries_and_never_reach_the_page(client, column):
    url = column.get_absolute_url()
    client.get(url)
    before = len(cached_texts())
    for number in range(50):
        response, queries = queries_of(client, f"{url}?utm_source=campaign{number}&from=timeline")
        assert response.status_code == 200
        assert f"campaign{number}" not in response.content.decode()
        assert queries <= 1, "the page kept for the plain address answers (at most the generation is read)"
    assert len(cached_texts()) == before


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
    assert 0 < entries.seconds_until_next_publication(generation.current()) <= 30
    assert 0 < entries.lifetime(generation.current()) <= 30


def test_a_change_made_by_another_process_retires_every_workers_kept_pages(client, settings, column, article):
    """No signal reaches this process: another worker, the task worker or a management command
    saved the change, and only the database says so."""
    settings.PAGE_CACHE_GENERATION_SECONDS = 60
    url = article.get_absolute_url()
    assert "改之前的标题" not in client.get(url).content.decode()
    Article.objects.filter(pk=article.pk).update(title="改之前的标题")
    PageGeneration.objects.update(value=generation.new_generation())  # what pages_changed() committed elsewhere
    assert "改之前的标题" not in client.get(url).content.decode(), "remembered for PAGE_CACHE_GENERATION_SECONDS"
    generation.remembered.read_at -= 61
    assert "改之前的标题" in client.get(url).content.decode()


def test_an_article_made_members_only_elsewhere_stops_showing_its_text_to_visitors(client, column):
    free = make_article(column, title="先免费后收费", access=Article.Access.FREE)
    url = free.get_absolute_url()
    assert PAID_PARAGRAPHS[-1] in client.get(url).content.decode()
    Article.objects.filter(pk=free.pk).update(access=Article.Access.MEMBERS)
    PageGeneration.objects.update(value=generation.new_generation())
    assert PAID_PARAGRAPHS[-1] not in client.get(url).content.decode()


def test_pages_with_a_session_or_unknown_parameters_are_rendered_afresh(client, column):
    url = column.get_absolute_url()
    client.get(url)
    assert queries_of(client, url + "?from=timeline&isappinstalled=0")[1] <= 1, "the plain address's page"
    assert queries_of(client, url + "?refer=SOMEONE")[1] > 0
    assert queries_of(client, url + "?refer=SOMEONE")[1] > 0, "a referral address is never kept: it repeats in the page's links"
    reader = make_user()
    client.force_login(reader)
    assert queries_of(client, url)[1] > 0, "a signed-in reader's column page is personal"


@pytest.fixture
def member_client(client, settings, column):
    """A member of the column, signed in; the generation is read once a minute, as in production."""
    settings.PAGE_CACHE_GENERATION_SECONDS = 60
    member = make_user()
    make_membership(member, column, days=30)
    client.force_login(member)
    return client


def test_a_member_reads_the_text_from_the_database_into_a_kept_skeleton(member_client, article):
    client, url = member_client, article.get_absolute_url()
    first = client.get(url).content.decode()
    response, queries = queries_of(client, url)
    body = response.content.decode()
    assert all(paragraph in first and paragraph in body for paragraph in PAID_PARAGRAPHS)
    assert queries == 3, "the session, the user, and the article with the reader's access and its text"
    assert 'class="paywall' not in body
    assert "pagehole" not in body
    # The cache holds the skeleton, never the paid text.
    texts = cached_texts()
    assert any(hole("body") in text for text in texts)
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
def test_a_kept_skeleton_still_needs_a_user_django_signs_in(client, column, article, change):
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


def test_an_expired_membership_gets_the_paywall_not_the_skeleton(client, column, article):
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


def test_kept_visitor_pages_answer_conditional_gets(client, column, article):
    url = article.get_absolute_url()
    first = client.get(url)
    etag = first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    Article.objects.filter(pk=article.pk).update(preview_html=article.preview_html + "<p>预览改了</p>")
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


def test_the_csrf_token_goes_into_the_skeleton_before_the_text(client, column):
    """Text that happens to hold the CSRF hole (an author quoting a page's source) shows as typed:
    no reader's token is ever put into an article."""
    article = make_article(column, title="引用页面源码")
    Article.objects.filter(pk=article.pk).update(body_html=f"<p>源码里有 {hole('csrf')} 这一串</p>")
    member = make_user()
    make_membership(member, column, days=30)
    client.force_login(member)
    for _ in range(2):  # rendered, then from the kept skeleton
        page = client.get(article.get_absolute_url()).content.decode()
        token = CSRF_INPUT.search(page).group(1)
        assert f"<p>源码里有 {hole('csrf')} 这一串</p>" in page
        assert page.count(token) == 1, "only in the sign-out form"


def test_drafts_seen_by_editors_are_never_kept(client, column):
    draft = make_article(column, title="编辑才能看的草稿", status=Article.Status.DRAFT)
    editor = make_user(is_staff=True, is_superuser=True)
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


def test_each_process_answers_its_most_asked_pages_from_its_own_copy_under_the_same_generation(client, settings, column):
    settings.PAGE_CACHE_GENERATION_SECONDS = 60
    url = column.get_absolute_url()
    client.get(url)
    caches["default"].clear()  # the shared copy is gone (another node's Redis flushed, say)
    response, queries = queries_of(client, url)
    assert queries == 0, "this process's own copy answered"
    Column.objects.filter(pk=column.pk).update(title="本进程副本也跟着换代")
    PageGeneration.objects.update(value=generation.new_generation())
    generation.remembered.read_at -= 61
    assert "本进程副本也跟着换代" in client.get(url).content.decode(), "a new generation retires the local copy too"


def test_a_members_skeleton_is_answered_from_this_processs_own_copy_too(member_client, settings, article):
    client, url = member_client, article.get_absolute_url()
    client.get(url)
    caches["default"].clear()  # the shared copy is gone
    response, queries = queries_of(client, url)
    assert queries == 3, "the session, the user and the article: no render, this process kept the skeleton"
    assert all(paragraph in response.content.decode() for paragraph in PAID_PARAGRAPHS)
    # The local copy holds a skeleton too, never the text.
    local = caches[settings.PAGE_CACHE_LOCAL_ALIAS]
    kept = local.get(entries.page_key("skeleton", response.wsgi_request, language="zh-hans", generation=generation.current()))
    assert kept is not None and hole("body") in kept["content"]
    assert not any(paragraph in kept["content"] for paragraph in PAID_PARAGRAPHS)
    Article.objects.filter(pk=article.pk).update(title="本进程骨架也跟着换代")
    PageGeneration.objects.update(value=generation.new_generation())
    generation.remembered.read_at -= 61
    assert "本进程骨架也跟着换代" in client.get(url).content.decode(), "a new generation retires the local skeleton too"
