"""PostgreSQL restarted under load: requests during the outage fail fast with the friendly 503, and
the site recovers by itself, with the same gunicorn processes.

gunicorn reaches PostgreSQL through a TCP relay that this test can "restart": it drops every open
connection (what clients of a restarting server see: their backends end) and refuses new ones
for a few seconds (the server is down), then accepts again. Four readers keep asking for an
article throughout; nothing is cached, so every request needs the database.
Runs when PostgreSQL is the test database (CI's second run).
"""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from articles.models import Article
from bench.processes import worker_pids
from tests.factories import make_article, make_column
from tests.helpers import free_port
from tests.portal_tests.test_two_nodes import static_root  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 4
FAIL_FAST_SECONDS = 5  # the connect timeout is 2 s; a request may try twice (session, page)


def hang_up(end: socket.socket) -> None:
    try:
        end.shutdown(socket.SHUT_RDWR)  # also wakes a thread blocked in recv() or accept() on it
    except OSError:
        pass
    end.close()


class RestartableRelay:
    """A TCP relay to PostgreSQL that can drop everything and refuse connections for a while."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = None
        self.running = True
        self.listen()

    def listen(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self.accept, args=(listener,), daemon=True).start()

    def accept(self, listener):
        while self.running:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    def pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                hang_up(end)

    def stop(self):
        """The server goes away: open connections end, new ones are refused."""
        hang_up(self.listener)  # shutting down wakes the accepting thread; close() alone would not
        with self.lock:
            ends, self.sockets = list(self.sockets), set()
        for end in ends:
            hang_up(end)

    def close(self):
        self.running = False
        self.stop()


def test_a_database_restart_under_load_gives_fast_503s_and_the_site_recovers_by_itself(static_root, tmp_path):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL as the test database")
    article = make_article(make_column(), access=Article.Access.FREE, title="重启期间的文章")
    database = connection.settings_dict
    relay = RestartableRelay((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)))
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@127.0.0.1:{relay.port}/{database['NAME']}",
        "REDIS_URL": "",
        "DJANGO_PAGE_CACHE_SECONDS": "0",
        "DJANGO_DB_CONNECT_TIMEOUT": "2",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "database-restart-test-" + "z" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_URL": "dummy://",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "portal/gunicorn.conf.py", "portal.wsgi"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}{article.get_absolute_url()}"
    results: list[tuple[float, int, float, str, str]] = []  # (started, status, seconds, retry-after, body)
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    status, headers, body = response.status, response.headers, response.read().decode()
            except urllib.error.HTTPError as error:
                status, headers, body = error.code, error.headers, error.read().decode()
            except OSError as error:
                status, headers, body = 0, {}, repr(error)
            results.append((started, status, time.monotonic() - started, headers.get("Retry-After", ""), body))
            time.sleep(0.02)

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        workers_before = set(worker_pids(server.pid))
        readers = [threading.Thread(target=reader) for _ in range(4)]
        for thread in readers:
            thread.start()
        time.sleep(2)
        went_down = time.monotonic()
        relay.stop()
        time.sleep(OUTAGE_SECONDS)
        came_back = time.monotonic()
        relay.listen()
        time.sleep(6)
        stop.set()
        for thread in readers:
            thread.join(timeout=40)
        workers_after = set(worker_pids(server.pid))
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=20)
        relay.close()

    before = [r for r in results if r[0] + r[2] < went_down]
    during = [r for r in results if went_down + 0.5 <= r[0] and r[0] + r[2] < came_back]
    settled = [r for r in results if r[0] >= came_back + 3]
    timeline = [
        (round(started - went_down, 2), status, round(seconds, 2))
        for started, status, seconds, *_ in results
        if -0.5 < started - went_down < OUTAGE_SECONDS + 4
    ]
    assert before and all(status == 200 for _, status, *_ in before), timeline
    assert during, "requests were made during the outage"
    assert {status for _, status, *_ in results} <= {200, 503}, ("never a 500 or a dropped connection", timeline)
    for _, status, seconds, retry_after, body in during:
        assert status == 503, ("the database is down: the friendly page, not an article", timeline)
        assert seconds < FAIL_FAST_SECONDS, f"a request waited {seconds:.1f} s"
        assert retry_after and "马上回来" in body
    assert settled and all(status == 200 for _, status, *_ in settled), ("the site recovered by itself", timeline)
    assert workers_after == workers_before, "no worker was killed or replaced: gunicorn itself was never restarted"
