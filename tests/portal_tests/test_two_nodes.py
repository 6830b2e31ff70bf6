"""Two web nodes behind one PostgreSQL and one Redis behave as one site.

Starts two gunicorn processes on different ports with production settings against the test
database and a Redis database, then: a reader logs in on node A and is logged in on node B; a
membership granted through node A (a redeem code) opens the article on node B on the very next
request; failed redeem attempts counted on node A block the reader on node B.
Runs when PostgreSQL is the test database and Redis answers (CI's second run).
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from members.codes import redeem_limiter
from members.models import RedeemCode
from tests.factories import PASSWORD, make_article, make_column, make_user
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/12"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    environment = {**os.environ, "DJANGO_STATIC_ROOT": str(root), "DJANGO_DEBUG": "1"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=environment, check=True)
    return root


@pytest.fixture
def nodes(static_root, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("two nodes need a database server; the test database is SQLite")
    if not redis_answers():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    database = connection.settings_dict
    database_url = f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    ports = [free_port(), free_port()]
    processes = []
    for port in ports:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "two-nodes-share-this-secret-" + "y" * 30,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SITE_URL": f"http://127.0.0.1:{ports[0]}",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_PAYMENTS_SANDBOX": "0",
            "DJANGO_STATIC_ROOT": str(static_root),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "EMAIL_URL": "dummy://",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_ACCESS_LOG": "/dev/null",
        }
        processes.append(
            subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "--config", "portal/gunicorn.conf.py", "portal.wsgi"],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base, process in zip(bases, processes, strict=True):
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(process.stderr.read().decode()[-3000:]) from None
                    time.sleep(0.2)
        yield bases
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


class Browser:
    """One reader's cookies, used against either node (cookies do not depend on the port)."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect())

    def get(self, url):
        return self.open(urllib.request.Request(url))

    def post(self, url, data, *, referer):
        token = next(cookie.value for cookie in self.cookies if cookie.name == settings.CSRF_COOKIE_NAME)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        return self.open(urllib.request.Request(url, data=body, headers={"Referer": referer}))

    def open(self, request):
        try:
            response = self.opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()
        return response.status, response.headers, response.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_reader_logged_in_on_one_node_is_logged_in_on_the_other(nodes):
    node_a, node_b = nodes
    make_user(email="two-nodes@example.com")
    browser = Browser()
    browser.get(node_a + "/accounts/login/")
    status, headers, _ = browser.post(
        node_a + "/accounts/login/", {"login": "two-nodes@example.com", "password": PASSWORD}, referer=node_a + "/accounts/login/"
    )
    assert status == 302, "the login on node A succeeded"
    status, _, body = browser.get(node_b + "/me/columns/")
    assert status == 200, "node B knows the session node A created"
    assert "two-nodes@example.com" in body or "/accounts/logout/" in body


def test_a_membership_granted_on_one_node_opens_the_article_on_the_other(nodes):
    node_a, node_b = nodes
    reader = make_user(email="member-two-nodes@example.com")
    column = make_column()
    article = make_article(column)
    code = RedeemCode.objects.create(column=column, code="TWONODES2024ABCD", days=30)
    browser = Browser()
    browser.get(node_a + "/accounts/login/")
    browser.post(node_a + "/accounts/login/", {"login": reader.email, "password": PASSWORD}, referer=node_a + "/accounts/login/")

    _, _, before = browser.get(node_b + article.get_absolute_url())
    assert "第三个秘密" not in before
    browser.get(node_a + "/redeem/")
    status, _, _ = browser.post(node_a + "/redeem/", {"code": code.code}, referer=node_a + "/redeem/")
    assert status == 302, "node A redeemed the code"
    _, _, after = browser.get(node_b + article.get_absolute_url())
    assert "第三个秘密" in after, "node B opens the article on the very next request"


def test_a_rate_limit_counted_on_one_node_holds_on_the_other(nodes):
    node_a, node_b = nodes
    reader = make_user(email="guesser@example.com")
    browser = Browser()
    browser.get(node_a + "/accounts/login/")
    browser.post(node_a + "/accounts/login/", {"login": reader.email, "password": PASSWORD}, referer=node_a + "/accounts/login/")
    browser.get(node_a + "/redeem/")
    for attempt in range(redeem_limiter.limit):
        status, _, _ = browser.post(node_a + "/redeem/", {"code": f"WRONG{attempt:04d}GUESS"}, referer=node_a + "/redeem/")
        assert status == 400
    browser.get(node_b + "/redeem/")
    status, _, body = browser.post(node_b + "/redeem/", {"code": "WRONG9999GUESS"}, referer=node_b + "/redeem/")
    assert status == 429, "node B counts the failures node A recorded"
    assert re.search(r"\d", body)
