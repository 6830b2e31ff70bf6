import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

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


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Tasks run where they are enqueued, so a test sees their effects as a reader would a moment
    later. Tests of the worker itself ask for `database_tasks` instead."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def database_tasks(settings):
    """The production setup: enqueued tasks wait in the database for a worker (tests.helpers.run_queued_tasks)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
