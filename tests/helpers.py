"""Helpers more than one test module uses."""

import socket
from typing import ClassVar

from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_queued_tasks(*, limit: int = 100) -> int:
    """Run the tasks waiting in the database as `manage.py db_worker` would, in this process and
    inside the test's transaction (the worker's own loop closes connections between tasks, which a
    test transaction cannot survive). Returns how many ran."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        queued = DBTaskResult.objects.ready().first()  # the worker's order: priority, then time
        if queued is None:
            break
        queued.claim(worker.worker_id)
        worker.run_task(queued)
        ran += 1
    return ran


class FlakyEmailBackend(EmailBackend):
    """The test outbox, counting the connections opened, refusing chosen addresses or the whole
    server. A test points settings.EMAIL_BACKEND at "tests.helpers.FlakyEmailBackend" and resets it."""

    opened = 0
    server_down = False
    refused: ClassVar[set[str]] = set()

    def open(self):
        if FlakyEmailBackend.server_down:
            raise ConnectionRefusedError("111 connection refused")
        FlakyEmailBackend.opened += 1
        return True

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & FlakyEmailBackend.refused:
                raise ConnectionError("550 mailbox unavailable")
        return super().send_messages(messages)

    @classmethod
    def reset(cls):
        cls.opened = 0
        cls.server_down = False
        cls.refused = set()


def queries_for(client, url: str, **extra) -> int:
    """How many queries one GET of a page costs; it must answer 200."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200, url
    return len(captured)


def free_port() -> int:
    """A TCP port nothing on this machine listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
