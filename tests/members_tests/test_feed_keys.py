"""Private feeds: a signed, revocable address per reader and column that carries the full text of
what that reader may read today, and previews once they may not."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Column
from members.feed_keys import FeedKeyRevoked, FeedKeyUnknown, feed_key_for_token, feed_key_issue, feed_key_token, private_feed_path
from members.models import FeedKey, Membership
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db

SECRET = PAID_PARAGRAPHS[0]


@pytest.fixture
def article(column):
    return make_article(column, title="会员文章")


def test_a_member_gets_the_full_text_in_rss_and_atom(client, reader, column, article):
    make_membership(reader, column)
    key = feed_key_issue(user=reader, column=column)
    for atom in (False, True):
        response = client.get(private_feed_path(key, atom=atom))
        assert response.status_code == 200
        body = response.content.decode()
        assert SECRET in body
        assert "会员文章" in body


def test_the_feed_is_private_and_not_for_search_engines(client, reader, column, article):
    make_membership(reader, column)
    response = client.get(private_feed_path(feed_key_issue(user=reader, column=column)))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_a_reader_without_membership_gets_previews_only(client, reader, column, article):
    response = client.get(private_feed_path(feed_key_issue(user=reader, column=column)))
    body = response.content.decode()
    assert response.status_code == 200
    assert "免费段落" in body
    assert SECRET not in body


def test_an_expired_membership_falls_back_to_previews_at_the_next_fetch(client, reader, column, article):
    membership = make_membership(reader, column, days=30)
    path = private_feed_path(feed_key_issue(user=reader, column=column))
    first = client.get(path)
    assert SECRET in first.content.decode()
    Membership.objects.filter(pk=membership.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    # Even a feed reader that presents the old ETag gets the new, preview-only feed.
    second = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert SECRET not in second.content.decode()


def test_a_refunded_membership_gets_previews(client, reader, column, article):
    membership = make_membership(reader, column)
    path = private_feed_path(feed_key_issue(user=reader, column=column))
    Membership.objects.filter(pk=membership.pk).update(revoked_at=timezone.now())
    assert SECRET not in client.get(path).content.decode()


def test_regenerating_revokes_the_old_address(client, reader, column, article):
    make_membership(reader, column)
    old = feed_key_issue(user=reader, column=column)
    old_path = private_feed_path(old)
    new = feed_key_issue(user=reader, column=column)
    assert client.get(old_path).status_code == 410
    assert SECRET not in client.get(old_path).content.decode()
    assert client.get(private_feed_path(new)).status_code == 200
    assert FeedKey.objects.filter(user=reader, column=column, revoked_at__isnull=True).count() == 1


def test_forged_or_mangled_tokens_are_404(client, reader, column):
    key = feed_key_issue(user=reader, column=column)
    token = feed_key_token(key)
    secret, _, signature = token.rpartition(".")
    for bad in [secret, f"{secret}.{signature[:-2]}xx", "nothing-here", f"x{token}"]:
        assert client.get(reverse("members:private-feed", kwargs={"token": bad})).status_code == 404, bad
    with pytest.raises(FeedKeyUnknown):
        feed_key_for_token(secret)


def test_a_token_from_another_site_secret_is_refused(reader, column, settings):
    key = feed_key_issue(user=reader, column=column)
    token = feed_key_token(key)
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY
    with pytest.raises(FeedKeyUnknown):
        feed_key_for_token(token)


def test_a_deactivated_account_or_unpublished_column_is_404(client, reader, column, article):
    make_membership(reader, column)
    path = private_feed_path(feed_key_issue(user=reader, column=column))
    reader.is_active = False
    reader.save()
    assert client.get(path).status_code == 404
    reader.is_active = True
    reader.save()
    assert client.get(path).status_code == 200
    column.status = Column.Status.DRAFT
    column.save()
    assert client.get(path).status_code == 404


def test_conditional_get_on_the_private_feed(client, reader, column, article):
    make_membership(reader, column)
    path = private_feed_path(feed_key_issue(user=reader, column=column))
    first = client.get(path)
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_private_feed_query_count_does_not_grow(client, reader, column, article):
    make_membership(reader, column)
    path = private_feed_path(feed_key_issue(user=reader, column=column))
    client.get(path)  # records the fetch, so later ones do not write

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    before = count()
    for n in range(6):
        make_article(column, access=Article.Access.FREE if n % 2 else Article.Access.MEMBERS).tags.add(f"标签{n}")
    assert count() == before


# The reader's page


def test_my_columns_issues_shows_and_regenerates_the_address(client, reader, column):
    make_membership(reader, column)
    client.force_login(reader)
    page = client.get(reverse("members:my-columns")).content.decode()
    assert "/feeds/private/" not in page
    client.post(reverse("members:feed-key", kwargs={"slug": column.slug}), {"action": "new"})
    first = FeedKey.objects.get(user=reader, column=column, revoked_at__isnull=True)
    page = client.get(reverse("members:my-columns")).content.decode()
    assert feed_key_token(first) in page
    client.post(reverse("members:feed-key", kwargs={"slug": column.slug}), {"action": "new"})
    second = FeedKey.objects.get(user=reader, column=column, revoked_at__isnull=True)
    assert second.pk != first.pk
    page = client.get(reverse("members:my-columns")).content.decode()
    assert feed_key_token(second) in page and feed_key_token(first) not in page


def test_switching_the_feed_off(client, reader, column):
    make_membership(reader, column)
    key = feed_key_issue(user=reader, column=column)
    client.force_login(reader)
    client.post(reverse("members:feed-key", kwargs={"slug": column.slug}), {"action": "revoke"})
    with pytest.raises(FeedKeyRevoked):
        feed_key_for_token(feed_key_token(key))


def test_an_unknown_action_changes_nothing(client, reader, column):
    make_membership(reader, column)
    key = feed_key_issue(user=reader, column=column)
    client.force_login(reader)
    response = client.post(reverse("members:feed-key", kwargs={"slug": column.slug}), {"action": "explode"}, follow=True)
    assert "未作更改" in response.content.decode()
    assert feed_key_for_token(feed_key_token(key)) == key


def test_only_a_columns_reader_can_ask_for_its_feed(client, reader, column):
    client.force_login(reader)
    assert client.post(reverse("members:feed-key", kwargs={"slug": column.slug}), {"action": "new"}).status_code == 404
    assert client.get(reverse("members:feed-key", kwargs={"slug": column.slug})).status_code == 405
    assert not FeedKey.objects.exists()


def test_the_address_never_appears_on_public_pages(client, reader, column, article):
    make_membership(reader, column)
    token = feed_key_token(feed_key_issue(user=reader, column=column))
    other = make_user()
    client.force_login(other)
    for url in [reverse("articles:home"), column.get_absolute_url(), article.get_absolute_url(), reverse("members:my-columns")]:
        assert token not in client.get(url).content.decode(), url
    client.force_login(reader)
    for url in [reverse("articles:home"), column.get_absolute_url(), article.get_absolute_url()]:
        assert token not in client.get(url).content.decode(), url


def test_my_columns_loads_every_feed_key_in_one_query(client, reader):
    client.force_login(reader)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("members:my-columns")).status_code == 200
        return len(captured)

    first = make_column()
    make_membership(reader, first)
    feed_key_issue(user=reader, column=first)
    client.get(reverse("members:my-columns"))
    before = count()
    for _ in range(4):
        another = make_column()
        make_membership(reader, another)
        feed_key_issue(user=reader, column=another)
    after = count()
    # Helper A's bookshelf may grow by its own rows; the feed keys add none per column.
    assert after == before
