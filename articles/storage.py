"""Where files that must never be public are kept: the documents editors upload for import hold
every paid sentence of a column, so they live outside MEDIA_ROOT (and outside the public media
bucket), under a storage no URL serves."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """FileSystemStorage rooted at settings.PRIVATE_MEDIA_ROOT, read each time (the model field
    holds this storage from start-up on, and tests move the directory); its files have no address."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("private files have no public address")


def private_storage():
    """The "private" entry of settings.STORAGES (a callable, so migrations never freeze a backend)."""
    return storages["private"]
