"""Where an export's files go: a folder or a zip, and never half of either.

Both are written under a hidden temporary name beside the destination and renamed into place
only when complete, so a failed or interrupted export leaves nothing a person could take for
the export (the temporary files are removed; a rename within one directory is atomic).
"""

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Files that are compressed already gain nothing from deflating again.
STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")

Write = Callable[[str, bytes], None]


class DestinationExists(Exception):
    """The export would replace a file or folder that is already there."""


def zip_writer(archive: zipfile.ZipFile) -> Write:
    def write(path: str, data: bytes) -> None:
        compression = zipfile.ZIP_STORED if path.lower().endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
        archive.writestr(path, data, compress_type=compression)

    return write


def folder_writer(root: Path) -> Write:
    def write(path: str, data: bytes) -> None:
        target = root.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    return write


@contextmanager
def folder_in_place(destination: Path) -> Iterator[Write]:
    """Writes into a temporary folder that becomes `destination` when the block succeeds. Paths
    given to the writer are relative to destination's parent ("<slug>/articles/…")."""
    refuse_existing(destination)
    scratch = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", suffix=".partial", dir=destination.parent))
    try:
        yield folder_writer(scratch)
        refuse_existing(destination)
        os.rename(scratch / destination.name, destination)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def zip_in_place(destination: Path) -> Iterator[Write]:
    """Writes a zip under a temporary name that becomes `destination` when the block succeeds."""
    refuse_existing(destination)
    handle, scratch = tempfile.mkstemp(prefix=f".{destination.name}-", suffix=".partial", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as file, zipfile.ZipFile(file, "w") as archive:
            yield zip_writer(archive)
        refuse_existing(destination)
        os.replace(scratch, destination)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)


def refuse_existing(destination: Path) -> None:
    if destination.exists():
        raise DestinationExists(str(destination))
