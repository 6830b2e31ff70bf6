"""The site degrades instead of failing: Redis down means uncached, a database outage means a
friendly 503 that asks to retry, and /healthz tells a load balancer which one it is."""

import logging
import socketserver
import threading

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.test import Client, override_settings

from portal.cache import ResilientRedisCache
from tests.factories import PASSWORD, make_article, make_column, make_user

# Nothing listens on port 1: connecting fails at once, like a stopped Redis.
DOWN_REDIS = {
    "default": {"BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0", "KEY_PREFIX": "down"},
    "pages-here": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages-here-down"},
}


class CountConnection(socketserver.BaseRequestHandler):
    def handle(self):
        # Counted before the server closes the connection, so before the client can see it fail.
        self.server.connections += 1


@pytest.fixture
def hanging_up_redis():
    """A local port that takes every connection and closes it unanswered: a broken Redis whose
    connection attempts are counted, where a stopped one would only refuse them."""
    server = socketserver.TCPServer(("127.0.0.1", 0), CountConnection)
    server.connections = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_down_redis_answers_as_misses_without_trying_again_and_logs_once(caplog, hanging_up_redis):
    host, port = hanging_up_redis.server_address
    cache = ResilientRedisCache(f"redis://{host}:{port}/0", {"OPTIONS": {"RETRY_AFTER_SECONDS": 60}})
    caplog.set_level(logging.ERROR, logger="portal.cache")
    assert cache.get("key", "fallback") == "fallback"
    first_failure = hanging_up_redis.connections
    assert first_failure >= 1, "the first operation did try Redis"
    cache.set("key", "value")
    assert cache.add("key", "value") is True
    assert cache.get_many(["a", "b"]) == {}
    assert cache.get_or_set("computed", lambda: 42) == 42
    with pytest.raises(ValueError):
        cache.incr("counter")
    assert hanging_up_redis.connections == first_failure, "after the first failure the cache stays quiet instead of connecting again"
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


def test_the_redis_cache_works_when_redis_answers():
    cache = ResilientRedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "resilience-test"})
    if not cache.is_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    cache.set("key", "value", 10)
    assert cache.get("key") == "value"
    cache.set("key-count", 1, 10)
    assert cache.incr("key-count") == 2
    cache.delete_many(["key", "key-count"])
    assert cache.get("key") is None


@pytest.mark.django_db
@override_settings(CACHES=DOWN_REDIS)
def test_pages_and_sessions_keep_working_while_redis_is_down(client):
    assert isinstance(caches["default"], ResilientRedisCache)
    column = make_column()
    article = make_article(column)
    reader = make_user()
    client.force_login(reader)
    assert Client().get("/").status_code == 200, "a visitor's page, looked up in the cache first"
    assert client.get("/").status_code == 200
    assert client.get(article.get_absolute_url()).status_code == 200
    response = client.get("/me/columns/")
    assert response.status_code == 200, "the session lives in the database"
    assert caches["default"].outage.is_down()


@pytest.mark.django_db
@override_settings(CACHES=DOWN_REDIS)
def test_readers_can_log_in_while_redis_is_down(client):
    """Rate limits fail open while their counters are unreachable; they never lock everyone out."""
    reader = make_user(email="while-down@example.com")
    response = client.post("/accounts/login/", {"login": reader.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/me/columns/").status_code == 200


@pytest.mark.django_db
def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["cache"] == "ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@override_settings(CACHES=DOWN_REDIS)
def test_healthz_stays_up_but_says_so_when_the_cache_is_down(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["cache"] == "unavailable"


@pytest.mark.django_db
def test_healthz_is_503_without_the_database(client, monkeypatch):
    monkeypatch.setattr("portal.health.database_status", lambda: "unavailable")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_database_outage_gets_a_friendly_503_page(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("articles.views.published_columns", refuse)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert 'class="site-main error-page"' in response.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_other_errors_get_the_500_page(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("articles.views.published_columns", broken)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_unknown_pages_get_the_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'name="robots" content="noindex"' in response.content.decode()
