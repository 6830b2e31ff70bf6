"""The site degrades instead of failing: Redis down means uncached, a database outage means a
friendly 503 that asks to retry, and /healthz tells a load balancer which one it is."""

import logging
import time

import pytest
import redis
from django.core.cache import caches
from django.db import OperationalError
from django.test import override_settings

from portal.cache import ResilientRedisCache
from tests.factories import PASSWORD, make_article, make_column, make_user

# Nothing listens on port 1: connecting fails at once, like a stopped Redis.
DOWN_REDIS = {"default": {"BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0", "KEY_PREFIX": "down"}}


def down_cache() -> ResilientRedisCache:
    return ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"RETRY_AFTER_SECONDS": 60}})


def test_a_down_redis_answers_as_misses_quickly_and_logs_once(caplog):
    cache = down_cache()
    caplog.set_level(logging.ERROR, logger="portal.cache")
    started = time.monotonic()
    assert cache.get("key", "fallback") == "fallback"
    cache.set("key", "value")
    assert cache.add("key", "value") is True
    assert cache.get_many(["a", "b"]) == {}
    assert cache.get_or_set("computed", lambda: 42) == 42
    with pytest.raises(ValueError):
        cache.incr("counter")
    assert time.monotonic() - started < 2, "after the first failure the cache stays quiet instead of waiting again"
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


def test_get_many_survives_a_connection_redis_dropped():
    """The connection get_many keeps may have been closed by Redis (a restart, an idle timeout):
    it is replaced and the reader never sees an error."""
    cache = ResilientRedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "resilience-test"})
    if not cache.is_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    cache.set_many({"a": 1, "b": [2]}, 10)
    assert cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": [2]}
    kept = cache._cache._read_connection()
    kept.send_command("CLIENT", "ID")
    kept_id = kept.read_response()
    redis.Redis(host="127.0.0.1", port=6379).client_kill_filter(_id=kept_id)
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": [2]}
    assert cache._cache._read_connection() is not kept
    assert not cache.outage.is_down()
    cache.delete_many(["a", "b"])


def test_get_many_never_reads_what_an_interrupted_command_left_behind():
    """A request stopped between sending MGET and reading its answer (a worker timeout) leaves that
    answer on the socket: the connection is dropped, so the next lookup cannot take it for its own."""
    cache = ResilientRedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "resilience-test"})
    if not cache.is_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    cache.set_many({"first": "first value", "second": "second value"}, 10)
    interrupted = cache._cache._read_connection()

    def stop_reading(*args, **kwargs):
        raise KeyboardInterrupt

    interrupted.read_response = stop_reading
    with pytest.raises(KeyboardInterrupt):
        cache.get_many(["first"])
    assert cache.get_many(["second"]) == {"second": "second value"}
    assert cache._cache._read_connection() is not interrupted
    cache.delete_many(["first", "second"])


def test_get_many_in_a_forked_process_uses_a_connection_of_its_own():
    cache = ResilientRedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "resilience-test"})
    if not cache.is_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    cache.set("shared", "value", 10)
    assert cache.get_many(["shared"]) == {"shared": "value"}
    parents = cache._cache._read_connection()
    cache._cache._kept.pid = -1  # as a child process sees the connection its parent made
    assert cache.get_many(["shared"]) == {"shared": "value"}
    assert cache._cache._read_connection() is not parents
    cache.delete("shared")


@pytest.mark.django_db
@override_settings(CACHES=DOWN_REDIS)
def test_pages_and_sessions_keep_working_while_redis_is_down(client):
    assert isinstance(caches["default"], ResilientRedisCache)
    column = make_column()
    article = make_article(column)
    reader = make_user()
    client.force_login(reader)
    assert client.get("/").status_code == 200
    assert client.get(article.get_absolute_url()).status_code == 200
    response = client.get("/me/columns/")
    assert response.status_code == 200, "the session still finds the reader through its database copy"
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
