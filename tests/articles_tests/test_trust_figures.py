"""Buyers' evidence beside the price: how many articles the column published in the last 30 days
and when it last did, from its published articles only."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from articles.models import Article
from articles.page_cache import generation
from articles.page_cache.entries import lifetime
from articles.selectors import attach_figures, attach_update_figures
from tests.factories import make_article, make_column

pytestmark = pytest.mark.django_db


def recent_text(count: int) -> str:
    return ngettext("Updated %(articles)s article in the last 30 days", "Updated %(articles)s articles in the last 30 days", count) % {"articles": count}


def last_text(moment) -> str:
    return gettext("Last updated %(date)s") % {"date": timezone.localtime(moment).strftime("%Y-%m-%d")}


@pytest.fixture
def column():
    return make_column(title="有更新的专栏")


@pytest.fixture
def history(column):
    now = timezone.now()
    articles = {days: make_article(column, published_at=now - timedelta(days=days)) for days in (1, 10, 29, 31, 90)}
    make_article(column, status=Article.Status.DRAFT, published_at=now - timedelta(hours=2))
    make_article(column, published_at=now + timedelta(hours=1))  # scheduled
    make_article(make_column(), published_at=now - timedelta(hours=3))  # another column's
    return articles


def figures_of(column):
    return attach_update_figures(attach_figures([column])[0]).figures


def test_counts_the_last_30_days_and_dates_the_newest_published_article(column, history):
    figures = figures_of(column)
    assert figures.recent_articles == 3
    assert figures.last_update == history[1].published_at


def test_drafts_and_scheduled_articles_do_not_count_until_published(column, history):
    scheduled = column.articles.get(published_at__gt=timezone.now())
    later = scheduled.published_at + timedelta(minutes=1)
    with mock.patch("articles.selectors.timezone.now", return_value=later):
        figures = figures_of(column)
    assert figures.recent_articles == 4, "the scheduled article counts once its time has come; the draft never"
    assert figures.last_update == scheduled.published_at


def test_figures_cost_one_query(column, history, django_assert_num_queries):
    column = attach_figures([column])[0]
    with django_assert_num_queries(1):
        attach_update_figures(column)


def test_a_column_without_articles_says_none_and_no_date(client, column):
    page = client.get(column.get_absolute_url()).content.decode()
    assert recent_text(0) in page
    assert gettext("Last updated %(date)s").split("%")[0] not in page


def test_column_page_shows_the_figures_beside_the_price(client, column, history):
    page = client.get(column.get_absolute_url()).content.decode()
    figures_at = page.index('class="update-figures"')
    assert recent_text(3) in page
    assert last_text(history[1].published_at) in page
    assert figures_at < page.index('class="reader-status__prices"')


def test_join_page_shows_the_figures_with_the_plans(client, column, history):
    page = client.get(reverse("members:join", kwargs={"slug": column.slug})).content.decode()
    assert recent_text(3) in page
    assert last_text(history[1].published_at) in page


def test_a_kept_column_page_lives_no_longer_than_the_next_scheduled_publication(client, column, history):
    """The figures on a visitor's kept page are right when a scheduled article goes live: the page
    is retired at that moment, not PAGE_CACHE_SECONDS later."""
    soon = column.articles.get(published_at__gt=timezone.now())
    Article.objects.filter(pk=soon.pk).update(published_at=timezone.now() + timedelta(seconds=90))
    generation.pages_changed()
    assert client.get(column.get_absolute_url()).status_code == 200
    assert 0 < lifetime(generation.current()) <= 90
