import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import override_settings
from hypothesis import settings as hypothesis_settings

from articles.page_cache import generation

# Property tests draw the same examples on every run, so CI passes or fails on the code alone. A
# developer hunting new counterexamples runs with HYPOTHESIS_PROFILE=explore (random examples,
# remembered in .hypothesis/).
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    # The manifest storage needs collectstatic first; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"


@pytest.fixture(scope="session", autouse=True)
def cache_of_this_run(tmp_path_factory):
    """The embedded default cache is files shared by every process on the machine: a test run gets
    a directory of its own (and so do the processes it starts), so that a development server or
    another run beside it never sees its entries, nor it theirs."""
    backend = django_settings.CACHES["default"]
    if not backend["BACKEND"].endswith("FileBasedCache"):
        yield
        return
    location = str(tmp_path_factory.mktemp("cache"))
    os.environ["DJANGO_CACHE_DIR"] = location
    with override_settings(CACHES={**django_settings.CACHES, "default": {**backend, "LOCATION": location}}):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture(autouse=True)
def page_generation_read_once(settings):
    """Kept pages' generation is read from the database once per test and again after every change
    this process makes (as in production, where it is read again at most every second); counting
    queries must not depend on how long a test took. Tests of changes made by other processes set
    PAGE_CACHE_GENERATION_SECONDS themselves."""
    settings.PAGE_CACHE_GENERATION_SECONDS = 3600
    generation.remembered.forget()


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Tasks run where they are enqueued, so a test sees their effects as a reader would a moment
    later. Tests of the worker itself ask for `database_tasks` instead."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def database_tasks(settings):
    """The production setup: enqueued tasks wait in the database for a worker (tests.helpers.run_queued_tasks)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
