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
    response = client.post(
        reverse("account_login") + f"?next={next_url}", {"login": user.email, "password": PASSWORD, "next": next_url}
    )
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
