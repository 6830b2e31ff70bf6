"""Gifts: a membership bought for someone else. The buyer pays and gets a link to a single-use code;
whoever redeems it reads the column; a refund voids an unredeemed code or ends what it opened."""

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from members.access import can_read_in_full
from members.codes import CodeAlreadyUsed, CodeVoided, code_redeem, codes_create, redeem_limiter
from members.models import Gift, Membership, MembershipGrant, Order, Plan, RedeemCode
from members.payment_events import order_refund_reported
from members.services import ANNUAL_DAYS, order_create, order_dispute_closed, order_dispute_opened, order_mark_failed, order_mark_paid, order_refund
from tests.articles_tests.test_pages import assert_constant_queries
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_editor, make_membership, make_user
from tests.members_tests.test_stripe import charge_refunded, post, session_completed, stripe_api, stripe_keys  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

SITE = "https://zhuanlan.example.com"  # stripe_keys sets DJANGO_SITE_URL to this


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.PAYMENTS_SANDBOX = True


@pytest.fixture
def column():
    return make_column(title="付费专栏", plans=[("annual", 9900), ("lifetime", 29900)])


@pytest.fixture
def annual(column):
    return column.plans.get(kind=Plan.Kind.ANNUAL)


@pytest.fixture
def buyer():
    return make_user(email="buyer@example.com")


def gift_order(buyer, plan, *, message="生日快乐", provider="sandbox") -> Order:
    return order_create(user=buyer, plan=plan, provider=provider, checkout_token=uuid.uuid4(), gift_message=message)


def paid_gift(buyer, plan, **options) -> Gift:
    order = gift_order(buyer, plan, **options)
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    return Gift.objects.select_related("code", "order").get(order=order)


def redeem_url(gift: Gift) -> str:
    return reverse("members:gift-redeem", kwargs={"code": gift.code.code})


def checkout_data(client, plan, **fields):
    form = client.get(reverse("members:checkout", args=[plan.pk]) + "?gift=1").context["form"]
    return {"provider": "sandbox", "checkout_token": form["checkout_token"].value(), "next": form["next"].value(), "gift": "on", **fields}


# Paying


def test_paying_a_gift_makes_one_code_and_no_membership_for_the_buyer(buyer, annual):
    order = gift_order(buyer, annual)
    _order, activated = order_mark_paid(order_id=order.pk, amount_fen=9900)
    again, activated_again = order_mark_paid(order_id=order.pk, amount_fen=9900)
    assert (activated, activated_again) == (True, False)
    code = RedeemCode.objects.get()
    assert (code.column_id, code.days, code.lifetime, code.redeemed_at, code.voided_at) == (annual.column_id, ANNUAL_DAYS, False, None, None)
    assert Gift.objects.get(order=order).code == code
    assert not Membership.objects.exists() and not MembershipGrant.objects.exists()


def test_a_replayed_stripe_webhook_makes_one_code(client, buyer, annual):
    order = gift_order(buyer, annual, provider="stripe")
    completed = session_completed(order)
    assert post(client, completed).status_code == 200
    assert post(client, completed).status_code == 200
    assert RedeemCode.objects.count() == 1
    assert Order.objects.get().status == Order.Status.PAID
    assert not Membership.objects.exists()


def test_a_lifetime_gift_makes_a_lifetime_code(buyer, column):
    gift = paid_gift(buyer, column.plans.get(kind=Plan.Kind.LIFETIME))
    assert gift.code.lifetime and gift.code.days is None


def test_a_gift_order_never_renews_automatically(buyer, annual):
    order = order_create(user=buyer, plan=annual, provider="stripe", checkout_token=uuid.uuid4(), renews_automatically=True, gift_message="")
    assert order.is_gift and not order.renews_automatically


def test_checkout_as_a_gift_pays_through_the_sandbox_and_lands_on_the_gift_page(client, buyer, annual):
    client.force_login(buyer)
    pay_page = client.post(reverse("members:checkout", args=[annual.pk]), checkout_data(client, annual, gift_message="  读得开心  "))["Location"]
    back = client.post(pay_page, {"outcome": "succeed"})
    order = Order.objects.get()
    assert back["Location"] == reverse("members:gift", kwargs={"number": order.number})
    assert order.status == Order.Status.PAID and order.gift.message == "读得开心"
    assert not Membership.objects.filter(user=buyer).exists()


def test_checkout_without_the_gift_box_is_a_normal_purchase(client, buyer, annual):
    client.force_login(buyer)
    data = checkout_data(client, annual, gift_message="ignored")
    del data["gift"]
    pay_page = client.post(reverse("members:checkout", args=[annual.pk]), data)["Location"]
    client.post(pay_page, {"outcome": "succeed"})
    assert not Gift.objects.exists()
    assert Membership.objects.get(user=buyer).is_active()


def test_a_message_over_200_characters_makes_no_order(client, buyer, annual):
    client.force_login(buyer)
    response = client.post(reverse("members:checkout", args=[annual.pk]), checkout_data(client, annual, gift_message="长" * 201))
    assert response.status_code == 200 and response.context["form"].errors["gift_message"]
    assert not Order.objects.exists()


def test_a_lifetime_member_may_still_buy_a_gift(client, buyer, column, annual):
    make_membership(buyer, column)
    client.force_login(buyer)
    assert client.get(reverse("members:checkout", args=[annual.pk])).status_code == 302
    response = client.get(reverse("members:checkout", args=[annual.pk]) + "?gift=1")
    assert response.status_code == 200 and response.context["form"]["gift"].value() is True


def test_the_join_page_offers_each_plan_as_a_gift_also_to_members(client, buyer, column, annual):
    gift_link = reverse("members:checkout", args=[annual.pk]) + "?gift=1"
    assert gift_link in client.get(reverse("members:join", args=[column.slug])).content.decode()
    make_membership(buyer, column)
    client.force_login(buyer)
    page = client.get(reverse("members:join", args=[column.slug])).content.decode()
    assert gift_link in page and "plan__buy" not in page


def test_the_receipt_gives_the_gift_link_instead_of_reading(buyer, annual, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        gift = paid_gift(buyer, annual)
    body = mail.outbox[-1].body
    assert SITE + redeem_url(gift) in body
    assert annual.column.get_absolute_url() not in body


# The buyer's gift page


def test_the_gift_page_shows_the_link_and_message_to_the_buyer_only(client, buyer, annual):
    gift = paid_gift(buyer, annual, message="送你一年好文章")
    url = gift.get_absolute_url()
    client.force_login(buyer)
    response = client.get(url)
    page = response.content.decode()
    assert f'value="{SITE}{redeem_url(gift)}"' in page and "送你一年好文章" in page
    assert "no-store" in response["Cache-Control"]
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.logout()
    assert reverse("account_login") in client.get(url)["Location"]


def test_the_order_page_leads_back_to_the_gift_page(client, buyer, annual):
    gift = paid_gift(buyer, annual)
    client.force_login(buyer)
    page = client.get(gift.order.get_absolute_url()).content.decode()
    assert f'href="{gift.get_absolute_url()}"' in page
    assert f'<a class="button" href="{annual.column.get_absolute_url()}"' not in page  # no "start reading" for the buyer


def test_trying_a_failed_gift_again_keeps_it_a_gift(client, buyer, annual):
    order = gift_order(buyer, annual)
    order_mark_failed(order_id=order.pk, reason="declined")
    client.force_login(buyer)
    page = client.get(order.get_absolute_url()).content.decode()
    assert f'href="{reverse("members:checkout", args=[annual.pk])}?next=&amp;gift=1"' in page


def test_an_unpaid_gift_has_no_link_yet(client, buyer, annual):
    order = gift_order(buyer, annual)
    client.force_login(buyer)
    response = client.get(reverse("members:gift", kwargs={"number": order.number}))
    assert response.status_code == 200 and response.context["link"] == ""
    page = response.content.decode()
    assert 'id="gift-link"' not in page and 'href="/gift/' not in page


# The recipient's page


def test_the_recipient_redeems_once_and_a_second_redeem_is_refused(client, buyer, annual):
    article = make_article(annual.column)
    gift = paid_gift(buyer, annual)
    recipient = make_user()
    client.force_login(recipient)
    response = client.post(redeem_url(gift))
    assert response.status_code == 302 and response["Location"] == annual.column.get_absolute_url()
    assert can_read_in_full(recipient, article)
    assert MembershipGrant.objects.get(code=gift.code).membership.user == recipient
    client.force_login(make_user())
    again = client.post(redeem_url(gift))
    assert again.status_code == 400 and again.context["error"] == str(CodeAlreadyUsed())
    assert Membership.objects.count() == 1
    assert 'class="button gift__redeem"' not in client.get(redeem_url(gift)).content.decode()


def test_the_buyer_may_redeem_their_own_gift(client, buyer, annual):
    gift = paid_gift(buyer, annual)
    client.force_login(buyer)
    assert client.post(redeem_url(gift)).status_code == 302
    assert Membership.objects.get(user=buyer).is_active()


def test_the_recipient_sees_column_length_and_message_but_not_the_buyer(client, buyer, annual):
    gift = paid_gift(buyer, annual, message="一起读")
    page = client.get(redeem_url(gift)).content.decode()
    assert "付费专栏" in page and "一起读" in page and "365" in page
    assert buyer.email not in page and "buyer" not in page


def test_a_visitor_is_sent_to_sign_in_and_back(client, buyer, annual):
    gift = paid_gift(buyer, annual)
    url = redeem_url(gift)
    response = client.get(url)
    page = response.content.decode()
    assert f'class="button" href="{reverse("account_login")}?next={url}"' in page
    assert f'class="button button--secondary" href="{reverse("account_signup")}?next={url}"' in page
    assert "no-store" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex"
    posted = client.post(url)
    assert posted.status_code == 302 and posted["Location"].startswith(reverse("account_login"))
    assert RedeemCode.objects.get().redeemed_at is None


def test_the_message_is_escaped_on_every_page(client, buyer, annual):
    gift = paid_gift(buyer, annual, message='<script>alert("x")</script> & <b>hi</b>')
    client.force_login(buyer)
    for url in (gift.get_absolute_url(), redeem_url(gift)):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;hi&lt;/b&gt;" in page, url
        assert "<script>alert" not in page and "<b>hi</b>" not in page, url


def test_the_gift_link_never_shows_paid_text(client, buyer, annual):
    make_article(annual.column, title="付费文章")
    gift = paid_gift(buyer, annual)
    for who in (None, make_user(), buyer):
        if who is None:
            client.logout()
        else:
            client.force_login(who)
        page = client.get(redeem_url(gift)).content.decode()
        assert not [sentence for sentence in PAID_PARAGRAPHS if sentence in page]
    # The same reader can read that text once redeemed, so the check above can fail.
    client.post(redeem_url(gift))
    article_page = client.get(annual.column.articles.get().get_absolute_url()).content.decode()
    assert all(sentence in article_page for sentence in PAID_PARAGRAPHS)


def test_codes_an_editor_made_have_no_gift_page(client, column):
    code = codes_create(column=column, count=1, days=30)[0]
    assert client.get(reverse("members:gift-redeem", kwargs={"code": code.code})).status_code == 404


def test_guessing_gift_addresses_is_rate_limited(client, buyer, annual):
    gift = paid_gift(buyer, annual)
    for attempt in range(redeem_limiter.limit):
        assert client.get(reverse("members:gift-redeem", kwargs={"code": f"WRONG{attempt}"})).status_code == 404
    assert client.get(redeem_url(gift)).status_code == 429


# Refunds and disputes


def test_a_refund_before_redemption_voids_the_code(client, buyer, annual):
    gift = paid_gift(buyer, annual)
    order_refund(order_id=gift.order.pk)
    gift.code.refresh_from_db()
    assert gift.code.voided_at is not None and gift.code.status() == RedeemCode.Status.VOIDED
    client.force_login(make_user())
    response = client.post(redeem_url(gift))
    assert response.status_code == 400 and response.context["error"] == str(CodeVoided())
    assert not Membership.objects.exists()


def test_a_refund_after_redemption_revokes_the_recipients_membership(client, buyer, annual):
    article = make_article(annual.column)
    gift = paid_gift(buyer, annual)
    recipient = make_user()
    client.force_login(recipient)
    client.post(redeem_url(gift))
    order_refund(order_id=gift.order.pk)
    assert not can_read_in_full(recipient, article)
    gift.code.refresh_from_db()
    assert gift.code.voided_at is None and gift.code.redeemed_by == recipient


def test_a_stripe_refund_voids_the_gift(client, buyer, annual):
    order = gift_order(buyer, annual, provider="stripe")
    post(client, session_completed(order))
    assert post(client, charge_refunded(order=order)).status_code == 200
    assert RedeemCode.objects.get().voided_at is not None


def test_a_refund_reported_before_the_payment_makes_no_code(buyer, annual):
    order = gift_order(buyer, annual)
    order_refund_reported(order_id=order.pk)
    assert not RedeemCode.objects.exists()


def test_a_dispute_pauses_the_gift_and_a_won_one_restores_it(buyer, annual):
    unredeemed, redeemed = paid_gift(buyer, annual), paid_gift(buyer, annual)
    recipient = make_user()
    membership = code_redeem(user=recipient, raw_code=redeemed.code.code)
    for gift in (unredeemed, redeemed):
        order_dispute_opened(order_id=gift.order.pk)
    unredeemed.code.refresh_from_db()
    membership.refresh_from_db()
    assert unredeemed.code.voided_at is not None and membership.revoked_at is not None
    for gift in (unredeemed, redeemed):
        order_dispute_closed(order_id=gift.order.pk, won=True)
    unredeemed.code.refresh_from_db()
    membership.refresh_from_db()
    assert unredeemed.code.voided_at is None and membership.is_active()


def test_a_lost_dispute_keeps_the_gift_void(buyer, annual):
    gift = paid_gift(buyer, annual)
    order_dispute_opened(order_id=gift.order.pk)
    order_dispute_closed(order_id=gift.order.pk, won=False)
    gift.code.refresh_from_db()
    assert gift.code.voided_at is not None


# Admin


def test_admin_lists_gifts_with_buyer_code_and_redeemer(client, buyer, annual):
    redeemed, waiting = paid_gift(buyer, annual), paid_gift(buyer, annual)
    recipient = make_user(email="friend@example.com")
    code_redeem(user=recipient, raw_code=redeemed.code.code)
    client.force_login(make_editor())
    page = client.get(reverse("admin:members_gift_changelist")).content.decode()
    assert "buyer@example.com" in page and "friend@example.com" in page
    assert redeemed.code.grouped in page and waiting.code.grouped in page
    assert client.get(reverse("admin:members_gift_change", args=[redeemed.pk])).status_code == 200
    assert client.get(reverse("admin:members_gift_add")).status_code == 403


# Query counts: more gifts, orders and plans elsewhere must not mean more queries (an N+1 on the
# order's column, the gift's code or its redeemer would show as growth).


def more_gifts(buyer):
    def add():
        for _ in range(4):
            other = make_column(plans=[("annual", 1000)])
            gift = paid_gift(buyer, other.plans.get())
            code_redeem(user=make_user(), raw_code=gift.code.code)

    return add


def test_gift_pages_query_counts_do_not_grow(client, buyer, annual):
    gift = paid_gift(buyer, annual)
    client.force_login(buyer)
    for url in (gift.get_absolute_url(), redeem_url(gift), gift.order.get_absolute_url(), reverse("members:orders")):
        assert_constant_queries(client, url, more_gifts(buyer))


def test_checkout_and_join_query_counts_do_not_grow_with_gifts(client, buyer, annual):
    client.force_login(buyer)
    for url in (reverse("members:checkout", args=[annual.pk]) + "?gift=1", reverse("members:join", args=[annual.column.slug])):
        assert_constant_queries(client, url, more_gifts(buyer))


def test_gift_admin_query_count_does_not_grow(client, buyer, annual):
    paid_gift(buyer, annual)
    client.force_login(make_editor())
    assert_constant_queries(client, reverse("admin:members_gift_changelist"), more_gifts(buyer))
