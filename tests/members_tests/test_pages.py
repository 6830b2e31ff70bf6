import pytest
from django.urls import reverse
from django.utils.translation import gettext

from members.models import Membership, Subscription
from tests.articles_tests.test_pages import assert_constant_queries
from tests.factories import make_article, make_column, make_editor, make_membership, make_user

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


def subscription_for(membership, **fields):
    return Subscription.objects.create(
        user=membership.user,
        column=membership.column,
        plan=membership.column.plans.get(),
        provider="stripe",
        provider_subscription_id=f"sub_{membership.pk}",
        status=fields.pop("status", Subscription.Status.ACTIVE),
        **fields,
    )


def test_my_columns_query_count_does_not_grow(client):
    """Plans, sources and renewals come from one query each, not one per membership."""
    reader = make_user()
    subscription_for(make_membership(reader, make_column(), days=20))
    client.force_login(reader)

    def more():
        for index in range(8):
            membership = make_membership(reader, make_column(), days=10 + index, source=Membership.Source.CODE if index % 2 else "purchase")
            if index % 3:
                subscription_for(membership, cancel_at_period_end=index % 2 == 0)

    assert_constant_queries(client, reverse("members:my-columns"), more)


def shelf_item(html, title):
    """The bookshelf entry of one column."""
    return html.split(title, 1)[1].split("</li>", 1)[0]


def test_my_columns_shows_the_plan_and_how_it_was_obtained(client):
    reader = make_user()
    make_membership(reader, make_column(title="专栏甲"), days=200)
    make_membership(reader, make_column(title="专栏乙"))
    make_membership(reader, make_column(title="专栏丙"), days=200, source=Membership.Source.CODE)
    make_membership(reader, make_column(title="专栏丁"), source=Membership.Source.COMPLIMENTARY)
    client.force_login(reader)
    html = client.get(reverse("members:my-columns")).content.decode()

    def plan_line(title):
        return shelf_item(html, title).split('class="bookshelf__plan">', 1)[1].split("</span>", 1)[0]

    assert plan_line("专栏甲") == f"{gettext('Annual')} · {Membership.Source.PURCHASE.label}"
    assert plan_line("专栏乙") == f"{gettext('Lifetime')} · {Membership.Source.PURCHASE.label}"
    assert plan_line("专栏丙") == f"{gettext('Fixed term')} · {Membership.Source.CODE.label}"
    assert plan_line("专栏丁") == f"{gettext('Lifetime')} · {Membership.Source.COMPLIMENTARY.label}"


def test_my_columns_offers_to_renew_annual_memberships_near_or_past_their_end(client):
    reader = make_user()
    make_membership(reader, make_column(title="远期专栏"), days=200)
    make_membership(reader, make_column(title="将到期专栏"), days=20)
    make_membership(reader, make_column(title="已过期专栏"), expired=True)
    make_membership(reader, make_column(title="终身专栏"))
    renewing = make_membership(reader, make_column(title="自动续费专栏"), days=10)
    subscription_for(renewing)
    client.force_login(reader)
    html = client.get(reverse("members:my-columns")).content.decode()
    renew_link = 'class="bookshelf__renew"'
    assert renew_link not in shelf_item(html, "远期专栏")
    assert renew_link in shelf_item(html, "将到期专栏")
    assert renew_link in shelf_item(html, "已过期专栏")
    assert renew_link not in shelf_item(html, "终身专栏")
    assert renew_link not in shelf_item(html, "自动续费专栏")


def test_my_columns_shows_automatic_renewal_with_cancel_and_resume(client):
    reader = make_user()
    renewing = subscription_for(make_membership(reader, make_column(title="续费中"), days=100))
    cancelled = subscription_for(make_membership(reader, make_column(title="已取消续费"), days=100), cancel_at_period_end=True)
    failed = subscription_for(make_membership(reader, make_column(title="扣款失败"), days=5), status=Subscription.Status.PAST_DUE)
    ended = subscription_for(make_membership(reader, make_column(title="订阅已结束"), days=5), status=Subscription.Status.CANCELED)
    client.force_login(reader)
    html = client.get(reverse("members:my-columns")).content.decode()
    url = lambda subscription: reverse("members:subscription-renewal", args=[subscription.pk])  # noqa: E731
    assert url(renewing) in html and 'value="cancel"' in shelf_item(html, "续费中")
    assert 'value="resume"' in shelf_item(html, "已取消续费") and url(cancelled) in html
    assert url(failed) in html and 'class="bookshelf__renew"' in shelf_item(html, "扣款失败")
    assert url(ended) not in html and 'class="bookshelf__renew"' in shelf_item(html, "订阅已结束")


def test_editors_see_subscriptions_read_only_and_can_search_them(client):
    reader = make_user(email="subscriber@example.com")
    subscription = subscription_for(make_membership(reader, make_column(), days=100))
    client.force_login(make_editor())
    listing = client.get(reverse("admin:members_subscription_changelist") + "?q=subscriber@").content.decode()
    assert subscription.provider_subscription_id in listing
    assert client.get(reverse("admin:members_subscription_add")).status_code == 403
    detail = client.get(reverse("admin:members_subscription_change", args=[subscription.pk])).content.decode()
    assert 'name="status"' not in detail


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
