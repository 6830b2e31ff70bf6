"""Invalidation: the content generation, kept in the database.

Saving or deleting anything a reader page shows moves the generation on, in the same transaction
as the change (articles.signals, members.signals, the import). Kept pages are filed under the
generation they were built in, so a page of an older generation is never looked up again: no
write to the cache is needed to retire it, and none can be lost (a cache that cannot be reached,
a worker with a cache of its own). A process reads the generation at most once every
PAGE_CACHE_GENERATION_SECONDS, so a change reaches every worker and node within that time; the
process that made the change reads it again as soon as it commits.
"""

import secrets
import threading
import time

from django.conf import settings
from django.db import transaction

from articles.models import PageGeneration

GENERATION_ROW = 1


class Remembered:
    """This process's copy of the generation, and when it was read."""

    def __init__(self):
        self.lock = threading.Lock()
        self.value: int | None = None
        self.read_at = 0.0

    def forget(self) -> None:
        with self.lock:
            self.value = None


remembered = Remembered()


def new_generation() -> int:
    """Random rather than counted, so two databases (a test run and a development server, say)
    never file pages under the same generation in a cache they share."""
    return secrets.randbits(62)


def current() -> int:
    """The generation, from this process's copy while it is younger than the setting allows."""
    now = time.monotonic()
    value = remembered.value
    if value is not None and now - remembered.read_at < settings.PAGE_CACHE_GENERATION_SECONDS:
        return value
    value = PageGeneration.objects.filter(pk=GENERATION_ROW).values_list("value", flat=True).first()
    if value is None:
        value = PageGeneration.objects.get_or_create(pk=GENERATION_ROW, defaults={"value": new_generation()})[0].value
    with remembered.lock:
        remembered.value, remembered.read_at = value, now
    return value


def pages_changed() -> None:
    """Retire every kept page: the new generation commits with the change that called this; once
    it has, this process reads it again."""
    new = new_generation()
    if not PageGeneration.objects.filter(pk=GENERATION_ROW).update(value=new):
        PageGeneration.objects.get_or_create(pk=GENERATION_ROW, defaults={"value": new})
    remembered.forget()
    transaction.on_commit(remembered.forget)
