"""Rate limits on accounts, the admin login and redeem codes: counted in the shared cache, per
trusted client address and per account, and not reset by a made-up X-Forwarded-For."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD, make_editor, make_user

pytestmark = pytest.mark.django_db

LOGIN_FAILED = "Too many failed login attempts"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Dozens of logins per test: a quick hasher keeps the time on the limits, not on PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client, email, password, **extra):
    # In English, so refused() can read allauth's message.
    return client.post(reverse("account_login"), {"login": email, "password": password}, HTTP_ACCEPT_LANGUAGE="en", **extra)


def refused(response) -> bool:
    return response.status_code == 200 and LOGIN_FAILED in response.content.decode()


def admin_log_in(client, username, password, **extra):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


def test_rate_limits_are_explicit_for_every_account_action():
    limits = django_settings.ACCOUNT_RATE_LIMITS
    for action in ["login", "login_failed", "signup", "confirm_email", "reset_password", "reset_password_from_key", "admin_login"]:
        assert limits[action], action


def test_one_account_is_locked_after_five_wrong_passwords_from_any_address(client):
    user = make_user(email="member@example.com")
    for attempt in range(5):
        assert not refused(log_in(client, user.email, "wrong", REMOTE_ADDR=f"198.51.100.{attempt}"))
    # Even the right password from a fresh address is refused while the account is locked.
    response = log_in(client, user.email, PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert refused(response)
    assert not client.session.get("_auth_user_id")


def test_the_counts_live_in_the_default_cache_every_worker_shares(client):
    # allauth counts in django.core.cache.cache, the default cache: Redis in production
    # (test_settings checks REDIS_URL selects it), so a count made by one worker binds every other.
    user = make_user(email="member@example.com")
    for _ in range(5):
        log_in(client, user.email, "wrong")
    assert refused(log_in(client, user.email, PASSWORD))
    cache.clear()
    assert log_in(client, user.email, PASSWORD).status_code == 302


def test_a_made_up_forwarded_for_does_not_reset_the_per_address_limit(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # Ten failures a minute per address, each against a different account so only the address counts.
    for attempt in range(10):
        spoofed = f"10.66.{attempt}.1, 198.51.100.1"
        assert not refused(log_in(client, f"nobody{attempt}@example.com", "wrong", HTTP_X_FORWARDED_FOR=spoofed))
    response = log_in(client, "someone@example.com", "wrong", HTTP_X_FORWARDED_FOR="10.99.99.99, 198.51.100.1")
    assert refused(response)
    # Another real client behind the same proxy is not affected.
    other = log_in(client, "someone@example.com", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert not refused(other)


def test_admin_login_refuses_a_username_after_five_wrong_passwords(client):
    editor = make_editor(email="editor@example.com")
    for attempt in range(5):
        response = admin_log_in(client, editor.username, "wrong", REMOTE_ADDR=f"198.51.100.{attempt}")
        assert response.status_code == 200
    response = admin_log_in(client, editor.username, PASSWORD, REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not client.session.get("_auth_user_id")


def test_admin_login_refuses_an_address_trying_many_usernames(client):
    for attempt in range(10):
        assert admin_log_in(client, f"guess{attempt}", "wrong").status_code == 200
    assert admin_log_in(client, "guess-more", "wrong").status_code == 429


def test_admin_login_usernames_are_counted_without_regard_to_case(client):
    editor = make_editor(email="editor@example.com")
    for attempt in range(5):
        admin_log_in(client, editor.username.upper() if attempt % 2 else editor.username, "wrong", REMOTE_ADDR=f"198.51.100.{attempt}")
    assert admin_log_in(client, editor.username, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429


def test_a_successful_admin_login_clears_the_count(client):
    editor = make_editor(email="editor@example.com")
    for _ in range(4):
        admin_log_in(client, editor.username, "wrong")
    response = admin_log_in(client, editor.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    client.logout()
    for _ in range(4):
        assert admin_log_in(client, editor.username, "wrong").status_code == 200
    assert admin_log_in(client, editor.username, PASSWORD).status_code == 302


def test_the_admin_login_page_itself_is_not_limited(client):
    for _ in range(20):
        assert client.get(ADMIN_LOGIN).status_code == 200


def test_redeem_code_guesses_count_against_the_trusted_client_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(make_user())
    for attempt in range(10):
        response = client.post("/redeem/", {"code": "WRONGWRONG00"}, HTTP_X_FORWARDED_FOR=f"10.66.{attempt}.1, 198.51.100.1")
        assert response.status_code == 400
    # A second account behind the same real address is refused too: made-up entries changed nothing.
    client.force_login(make_user())
    response = client.post("/redeem/", {"code": "WRONGWRONG00"}, HTTP_X_FORWARDED_FOR="10.99.99.99, 198.51.100.1")
    assert response.status_code == 429
