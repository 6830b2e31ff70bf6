import pytest
from django.urls import reverse

from tests.factories import make_article, make_column, make_membership, make_user
from tests.articles_tests.test_pages import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_my_columns_needs_login(client):
    response = client.get(reverse("members:my-columns"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_my_columns_lists_memberships_with_end_dates(client):
    reader = make_user()
    annual = make_column(title="年费专栏")
    lifetime = make_column(title="买断专栏")
    ended = make_column(title="过期专栏")
    membership = make_membership(reader, annual, days=200)
    make_membership(reader, lifetime)
    make_membership(reader, ended, expired=True)
    make_membership(make_user(), make_column(title="别人的专栏"))
    client.force_login(reader)
    html = client.get(reverse("members:my-columns")).content.decode()
    for title in ["年费专栏", "买断专栏", "过期专栏"]:
        assert title in html
    assert "别人的专栏" not in html
    assert membership.expires_at.astimezone().strftime("%Y-%m-%d") in html
    assert "bookshelf__item--ended" in html


def test_my_columns_query_count_does_not_grow(client):
    reader = make_user()
    make_membership(reader, make_column())
    client.force_login(reader)
    assert_constant_queries(
        client, reverse("members:my-columns"), lambda: [make_membership(reader, make_column()) for _ in range(8)]
    )


def test_join_page_shows_plans(client):
    column = make_column(plans=[("annual", 9900), ("lifetime", 19900)])
    make_article(column)
    html = client.get(reverse("members:join", args=[column.slug])).content.decode()
    assert "¥99" in html and "¥199" in html


def test_join_page_ignores_an_offsite_next(client):
    column = make_column()
    html = client.get(reverse("members:join", args=[column.slug]) + "?next=https://evil.example/").content.decode()
    assert 'href="https://evil.example' not in html
    plan = column.plans.get()
    assert f'{reverse("members:checkout", args=[plan.pk])}?next={column.get_absolute_url()}"' in html
