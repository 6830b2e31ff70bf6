"""What the cache cannot do, whatever happens to it: serve a page older than the last change, bring
back a session that signed out, or let each worker count rate limits of its own.

A Redis server of the test's own is paused with SIGSTOP, as a stalled Redis behaves: it accepts
connections and answers nothing."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from articles.models import Article
from articles.page_cache import generation
from members.codes import redeem_limiter
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_user
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


class PausableRedis:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        self.resume()
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def redis(settings):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = PausableRedis()
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"RETRY_AFTER_SECONDS": 0, "socket_timeout": 0.2, "socket_connect_timeout": 0.2},
        },
    }
    settings.PAGE_CACHE_GENERATION_SECONDS = 60  # as in production; the edit's own process forgets it
    generation.remembered.forget()
    yield server
    server.stop()


def test_an_article_made_members_only_while_redis_is_paused_is_never_served_from_a_kept_page(redis):
    column = make_column()
    article = make_article(column, title="暂停时改成会员专享", access=Article.Access.FREE)
    url = article.get_absolute_url()
    visitor = Client()
    assert PAID_PARAGRAPHS[-1] in visitor.get(url).content.decode()
    assert PAID_PARAGRAPHS[-1] in visitor.get(url).content.decode(), "now kept in Redis"
    redis.pause()
    try:
        article.access = Article.Access.MEMBERS
        article.save()
    finally:
        redis.resume()
    for _ in range(12):
        assert PAID_PARAGRAPHS[-1] not in visitor.get(url).content.decode()


def test_a_sign_out_while_redis_is_paused_sticks(redis):
    column = make_column()
    article = make_article(column, title="暂停时退出")
    member = make_user()
    make_membership(member, column, days=30)
    reader = Client()
    reader.force_login(member)
    assert PAID_PARAGRAPHS[0] in reader.get(article.get_absolute_url()).content.decode()
    redis.pause()
    try:
        assert reader.post("/accounts/logout/").status_code == 302
    finally:
        redis.resume()
    page = reader.get(article.get_absolute_url()).content.decode()
    assert PAID_PARAGRAPHS[0] not in page
    assert 'class="paywall' in page


def test_pages_are_served_while_redis_is_paused(redis):
    column = make_column(title="Redis 停了也能读")
    redis.pause()
    try:
        response = Client().get(column.get_absolute_url())
        assert response.status_code == 200
        assert "Redis 停了也能读" in response.content.decode()
    finally:
        redis.resume()


def test_the_embedded_default_cache_is_shared_by_every_process(settings):
    """Without REDIS_URL the cache is files on this machine: what another process (another gunicorn
    worker, the task worker) counts, this one sees."""
    if "REDIS_URL" in os.environ and os.environ["REDIS_URL"]:
        pytest.skip("this run uses Redis")
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    keys = ["ip:203.0.113.9"]
    assert redeem_limiter.minutes_blocked(keys) == 0
    script = (
        "import django; django.setup()\n"
        "from members.codes import redeem_limiter\n"
        f"for _ in range(redeem_limiter.limit): redeem_limiter.record_failure({keys!r})\n"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, check=True)
    assert redeem_limiter.minutes_blocked(keys) > 0, "the failures another worker counted block here too"
    cache.clear()
