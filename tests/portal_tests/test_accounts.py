"""Accounts by email: sign-up with a verification code, login, password reset, and back to the article."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, make_article, make_column, make_user

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", re.MULTILINE)


def verification_code(message):
    match = CODE_RE.search(message.body)
    assert match, message.body
    return match.group(1)


def test_sign_up_verifies_the_email_by_code_and_returns_to_the_article(client):
    article = make_article(make_column())
    next_url = article.get_absolute_url()
    response = client.post(
        reverse("account_signup") + f"?next={next_url}",
        {"email": "new@example.com", "password1": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    code = verification_code(mail.outbox[0])
    confirm = client.get(response["Location"])
    assert confirm.status_code == 200
    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert client.get(next_url).context["user"].email == "new@example.com"


def test_login_returns_to_the_article(client):
    user = make_user(email="member@example.com")
    article = make_article(make_column())
    next_url = article.get_absolute_url()
    response = client.post(reverse("account_login") + f"?next={next_url}", {"login": user.email, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


def test_login_with_a_wrong_password_keeps_the_email_and_says_why(client):
    make_user(email="member@example.com")
    response = client.post(reverse("account_login"), {"login": "member@example.com", "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="member@example.com"' in html
    assert response.context["form"].errors


def test_unverified_account_cannot_log_in_without_the_code(client):
    make_user(email="pending@example.com", verified=False)
    response = client.post(reverse("account_login"), {"login": "pending@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert "confirm" in response["Location"] or "verif" in response["Location"]
    assert not client.session.get("_auth_user_id")


def test_password_reset_sends_a_link_only_to_existing_accounts_without_telling(client):
    make_user(email="member@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "member@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    recipients = [message.to for message in mail.outbox]
    assert ["member@example.com"] in recipients


def test_sign_up_with_a_taken_email_does_not_reveal_it(client):
    make_user(email="member@example.com")
    response = client.post(reverse("account_signup"), {"email": "member@example.com", "password1": PASSWORD})
    fresh = client.post(reverse("account_signup"), {"email": "fresh@example.com", "password1": PASSWORD})
    assert response.status_code == fresh.status_code == 302


TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def page_without(response, *secrets):
    """The page as a visitor sees it, minus per-request tokens and the address they typed."""
    html = TOKEN_RE.sub("", response.content.decode())
    for secret in secrets:
        html = html.replace(secret, "EMAIL")
    return html


def test_sign_up_with_a_taken_email_looks_exactly_like_a_new_one(client, django_user_model):
    make_user(email="member@example.com")
    taken = client.post(reverse("account_signup"), {"email": "member@example.com", "password1": PASSWORD})
    taken_page = client.get(taken["Location"])
    other = client.__class__()
    fresh = other.post(reverse("account_signup"), {"email": "fresh@example.com", "password1": PASSWORD})
    fresh_page = other.get(fresh["Location"])
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert taken_page.status_code == fresh_page.status_code == 200
    assert page_without(taken_page, "member@example.com") == page_without(fresh_page, "fresh@example.com")
    assert django_user_model.objects.filter(email="member@example.com").count() == 1


def test_sign_up_with_a_taken_email_tells_the_owner_instead(client):
    make_user(email="member@example.com")
    client.post(reverse("account_signup"), {"email": "member@example.com", "password1": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["member@example.com"]
    assert "already exists" in notice.subject.lower()
    assert reverse("account_reset_password") in notice.body
    assert not CODE_RE.search(notice.body)


def test_password_reset_pages_are_identical_for_known_and_unknown_emails(client):
    make_user(email="member@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "member@example.com"}, follow=True)
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert page_without(known) == page_without(unknown)


def test_password_reset_for_an_unknown_email_says_so_only_to_that_inbox(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"}, HTTP_ACCEPT_LANGUAGE="en")
    assert [message.to for message in mail.outbox] == [["nobody@example.com"]]
    assert "/accounts/password/reset/key/" not in mail.outbox[0].body


def test_account_pages_say_verification_code_in_chinese(client):
    pages = [client.get(reverse("account_signup")), client.get(reverse("account_login"))]
    response = client.post(reverse("account_signup"), {"email": "new@example.com", "password1": PASSWORD})
    pages.append(client.get(response["Location"]))
    for page in pages:
        html = page.content.decode()
        assert "代码" not in html
        assert ":</label>" not in html
    verify = pages[-1].content.decode()
    # The code field's label: allauth's msgid "Code", which our redeem page must not translate away.
    assert "验证码：</label>" in verify and "兑换码" not in verify
    assert "代码" not in mail.outbox[0].body and "验证码" in mail.outbox[0].body


def test_signed_in_message_names_the_reader_by_email(client):
    user = make_user(email="member@example.com")
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True)
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["已登录：member@example.com。"]


def test_emails_are_signed_with_the_site_name(client, settings):
    settings.SITE_NAME = "测试专栏"
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert "测试专栏" in mail.outbox[0].body
