"""jieba's dictionary as one compact file: built from jieba's dict.txt, written atomically, checked.

The file is a DAWG (a minimal automaton, about 3 MB where jieba's Python dict takes about 70 MB)
from each word's UTF-8 bytes to its frequency, followed by a trailer that dawgdic does not read:

    magic, jieba's total frequency, the longest word in characters, CRC-32 of everything before it

A word of one character is stored as its bytes followed by CHARACTER_MARK, a byte no text
contains, so a prefix search over the bytes of a text finds only words of two or more characters
(the document side emits every character anyway) while the character's frequency can still be
looked up for the query side.

Run as `python -m articles.dictionary_file PATH DICT_TXT` with the extra words on standard input,
one a line, it builds the file at PATH: articles.dictionary does so in a short-lived process, so
that parsing dict.txt (some 350,000 Python strings) never swells a long-lived worker's heap.
"""

import os
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import dawg

# Part of every cache file's name: a change to the layout below must change it.
FORMAT_VERSION = 1
MAGIC = b"jiebadwg"
TRAILER = struct.Struct("<8sQI")  # magic, total, longest
CHECKSUM = struct.Struct("<I")
CHARACTER_MARK = b"\x01"
# An extra word jieba lacks gets this frequency, as add_word(word, freq=FREQ.get(word) or 20000) gave it.
ADDED_WORD_FREQUENCY = 20000


class DamagedFile(Exception):
    pass


def build(dict_path: Path, extra_words: tuple[str, ...]) -> tuple[dawg.IntDAWG, int, int]:
    """The DAWG, jieba's total frequency and the longest word's length, as jieba would have them
    after loading dict.txt and calling add_word(word, freq=FREQ.get(word) or 20000) for each extra word."""
    frequencies: dict[str, int] = {}
    total = 0
    with open(dict_path, "rb") as lines:
        for line in lines:
            # Parsed as jieba's gen_pfdict does: a word listed twice keeps its last frequency, and
            # both count towards the total.
            word, frequency = line.strip().decode("utf-8").split(" ")[:2]
            frequencies[word] = int(frequency)
            total += int(frequency)
    for word in extra_words:
        frequencies[word] = frequencies.get(word) or ADDED_WORD_FREQUENCY
        total += frequencies[word]
    # A word of frequency 0 is, to jieba, only a prefix of longer words; a prefix search needs no entry for it.
    words = [word for word, frequency in frequencies.items() if frequency > 0]
    return dawg.IntDAWG((stored_key(word), frequencies[word]) for word in words), total, max(map(len, words))


def stored_key(word: str) -> bytes:
    encoded = word.encode()
    return encoded + CHARACTER_MARK if len(word) == 1 else encoded


def contents(words: dawg.IntDAWG, total: int, longest: int) -> bytes:
    body = words.tobytes() + TRAILER.pack(MAGIC, total, longest)
    return body + CHECKSUM.pack(zlib.crc32(body))


def write(path: Path, data: bytes) -> None:
    """All or nothing: a reader, or a process building the same file at the same time, never sees half of it."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        os.fchmod(descriptor, 0o644)  # mkstemp's 0o600 would keep it from workers running as another user
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def figures(data) -> tuple[int, int]:
    """(total, longest) from a file's contents (any buffer, e.g. a memory map), once its checksum holds."""
    end = len(data) - CHECKSUM.size
    if end < TRAILER.size:
        raise DamagedFile("too short")
    with memoryview(data) as view:
        intact = zlib.crc32(view[:end]) == CHECKSUM.unpack_from(view, end)[0]
    magic, total, longest = TRAILER.unpack_from(data, end - TRAILER.size)
    if not intact or magic != MAGIC:
        raise DamagedFile("checksum or magic does not match")
    return total, longest


if __name__ == "__main__":
    output, dict_path = Path(sys.argv[1]), Path(sys.argv[2])
    write(output, contents(*build(dict_path, tuple(sys.stdin.buffer.read().decode("utf-8").split()))))
