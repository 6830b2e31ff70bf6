"""The reference views bench/web.py measures pages against (portal.urls routes them only when
DJANGO_BENCH_BARE_VIEW is on; here this module routes them, through the portal's middleware)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path

from portal.health import bench_bare, bench_bare_signed_in
from tests.factories import make_user

urlpatterns = [path("bench/bare/", bench_bare), path("bench/bare/signed-in/", bench_bare_signed_in)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries.captured_queries)


def test_the_bare_view_does_no_work_even_for_a_signed_in_reader(client):
    client.force_login(make_user())
    response, queries = queries_of(client, "/bench/bare/")
    assert response.content == b"ok" and queries == 0


def test_the_signed_in_floor_asks_who_is_signed_in_and_nothing_else(client):
    response, queries = queries_of(client, "/bench/bare/signed-in/")
    assert response.content == b"no" and queries == 0
    client.force_login(make_user())
    response, queries = queries_of(client, "/bench/bare/signed-in/")
    assert response.content == b"yes"
    assert queries == 2, "the session's row and the user's, as for every page of a signed-in reader"
