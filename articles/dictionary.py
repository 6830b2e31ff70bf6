"""The dictionary a process segments with: jieba's, read from a compact file built once per machine.

Every web worker that answers a search and every process that saves an article segments text.
jieba keeps its dictionary as a Python dict of some 580,000 entries, about 70 MB in each of them;
this keeps it as a DAWG of about 3 MB (articles.dictionary_file), read from a cache file:

- The file's name is a digest of what it is made of (jieba's dict.txt, the extra words, the
  file format), so a new jieba or a new domain word makes a new file and a stale one is never read.
- The first process to need it builds it in a subprocess (a second or two), under a lock, so that
  workers starting together build it once; the others wait for it, then read it in a few ms.
- A damaged file is rebuilt. Where no file can be written or built (a read-only directory), the
  process builds the dictionary itself, with a warning: a slower start and a heavier process, but
  searches and saves still work.

The folder is settings.SEGMENTER_CACHE_DIR, by default a private folder in the system temp dir.
"""

import fcntl
import hashlib
import importlib.util
import logging
import mmap
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dawg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from articles import dictionary_file
from articles.dictionary_file import CHARACTER_MARK, DamagedFile

logger = logging.getLogger(__name__)

# Every character of the Han ranges we segment lies in the Basic Multilingual Plane above U+07FF.
BYTES_PER_CHARACTER = 3
BUILD_TIMEOUT_SECONDS = 120
# Where `python -m articles.dictionary_file` finds the articles package.
PACKAGE_PARENT = Path(__file__).resolve().parent.parent


class Dictionary:
    """jieba's words and frequencies. Lookups take UTF-8 bytes, so that a run of text is encoded
    once rather than once for every position in it."""

    def __init__(self, words: dawg.IntDAWG, *, total: int, longest: int):
        self.total = total
        # The bytes of the longest word: no prefix search needs more of a text than this.
        self.span = longest * BYTES_PER_CHARACTER
        # words_starting(utf8) -> the words of two or more characters the bytes begin with, shortest
        # first. The C method itself: index_tokens calls it at every position of every document.
        self.words_starting = words.b_prefixes
        self._frequency = words.b_get_value

    def frequencies_at(self, encoded: bytes, at: int) -> list[tuple[int, int]]:
        """(length in characters, frequency) of each word starting at byte `at`, one character included."""
        character = self._frequency(encoded[at : at + BYTES_PER_CHARACTER] + CHARACTER_MARK)
        found = [(1, character)] if character > 0 else []
        for word in self.words_starting(encoded[at : at + self.span]):
            found.append((len(word) // BYTES_PER_CHARACTER, self._frequency(word)))
        return found


def load(extra_words: tuple[str, ...]) -> Dictionary:
    """jieba's dictionary with extra_words added as jieba.add_word(word, freq=FREQ.get(word) or 20000) adds them."""
    source = jieba_dict_path()
    path = cache_dir() / cache_name(source, extra_words)
    try:
        return read_intact(path) or build_once(path, source, extra_words)
    except (OSError, subprocess.SubprocessError, DamagedFile):
        logger.warning("No segmenting dictionary at %s; building one in this process", path, exc_info=True)
        words, total, longest = dictionary_file.build(source, extra_words)
        return Dictionary(words, total=total, longest=longest)


def jieba_dict_path() -> Path:
    # Found without importing jieba, whose __init__ loads its HMM tables.
    return Path(importlib.util.find_spec("jieba").submodule_search_locations[0]) / "dict.txt"


def cache_dir() -> Path:
    try:
        configured = getattr(settings, "SEGMENTER_CACHE_DIR", "")
    except ImproperlyConfigured:  # segmenting outside Django, e.g. in a script
        configured = ""
    # Per user, so that no other account on the machine can put a dictionary in front of us.
    return Path(configured or Path(tempfile.gettempdir()) / f"portal-segmenter-{os.getuid()}")


def cache_name(source: Path, extra_words: tuple[str, ...]) -> str:
    # dict.txt is known by its path, size and modification time: reinstalling or editing jieba
    # changes them, and no process has to read 5 MB to find its dictionary.
    stat = source.stat()
    made_of = repr((dictionary_file.FORMAT_VERSION, str(source), stat.st_size, stat.st_mtime_ns, extra_words))
    return f"jieba-{hashlib.sha256(made_of.encode()).hexdigest()[:20]}.dawg"


def read_intact(path: Path) -> Dictionary | None:
    """The dictionary in a cache file, or None when there is none yet or it is damaged."""
    try:
        return read(path)
    except FileNotFoundError:
        return None
    except (OSError, DamagedFile):
        logger.warning("The segmenting dictionary at %s is damaged; building it again", path, exc_info=True)
        return None


def read(path: Path) -> Dictionary:
    with open(path, "rb") as file:
        if not os.fstat(file.fileno()).st_size:
            raise DamagedFile("empty")
        # Checked through a memory map, so that the check leaves nothing behind in this process's heap.
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            total, longest = dictionary_file.figures(mapped)
    return Dictionary(dawg.IntDAWG().load(str(path)), total=total, longest=longest)


def build_once(path: Path, source: Path, extra_words: tuple[str, ...]) -> Dictionary:
    with build_lock(path):
        # Another process may have built it while this one waited for the lock.
        found = read_intact(path)
        if found is None:
            started = time.perf_counter()
            build_in_subprocess(path, source, extra_words)
            found = read(path)
            logger.info("Built the segmenting dictionary at %s in %.1f s", path, time.perf_counter() - started)
        return found


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, or when the process dies
        yield


def build_in_subprocess(path: Path, source: Path, extra_words: tuple[str, ...]) -> None:
    """A short-lived process parses dict.txt, so that this one's heap never holds its 350,000 strings."""
    subprocess.run(
        # Absolute paths: the child runs in PACKAGE_PARENT, where a relative cache folder means another place.
        [sys.executable, "-m", "articles.dictionary_file", str(path.absolute()), str(source.absolute())],
        input="\n".join(extra_words).encode(),
        cwd=PACKAGE_PARENT,
        stdout=subprocess.DEVNULL,
        check=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
