"""The health check of persistent connections (portal/postgresql): no round trip for a good
connection, and a connection the server ended is replaced before a request uses it."""

import select
import time
from unittest import mock

import psycopg
import pytest
from django.db import close_old_connections, connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper as DjangoDatabaseWrapper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the backend is PostgreSQL's")


@pytest.fixture
def checked_connection(settings):
    """A persistent, health-checked connection, as in production."""
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 60
    settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    connection.settings_dict["CONN_MAX_AGE"] = 60
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    connection.close()
    yield connection
    connection.settings_dict["CONN_MAX_AGE"] = 0
    connection.close()


def new_request():
    close_old_connections()  # what request_started does


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_good_connection_is_checked_without_a_query(checked_connection):
    first = backend_pid()
    new_request()
    no_round_trip = AssertionError("the health check went to the server")
    with (
        mock.patch.object(psycopg.Connection, "cursor", side_effect=no_round_trip),
        mock.patch.object(psycopg.Connection, "execute", side_effect=no_round_trip),
    ):
        assert connection.is_usable()
        with pytest.raises(AssertionError):
            DjangoDatabaseWrapper.is_usable(connection)  # Django's own check asks the server
    assert backend_pid() == first


def test_a_connection_the_server_ended_is_replaced_before_use(checked_connection):
    first = backend_pid()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    finally:
        other.close()
    # The server's termination notice reaches our socket in its own time (later on a loaded machine).
    socket, deadline = connection.connection.pgconn.socket, time.monotonic() + 10
    while not select.select([socket], [], [], 0.05)[0] and time.monotonic() < deadline:
        pass
    new_request()
    assert not connection.is_usable()
    assert backend_pid() != first  # the request itself never saw the dead connection
