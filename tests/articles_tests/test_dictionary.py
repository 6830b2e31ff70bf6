"""The segmenting dictionary: built once into a cache file, read by every process, rebuilt when damaged,
and never jieba's 70 MB Python dict in a web worker."""

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from articles import dictionary, dictionary_file
from articles.segmenting import DOMAIN_WORDS, best_split

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "用提示词让大模型帮你变现"
# A process that has segmented a query and a document may have grown by this much; jieba's
# dictionary alone was about 70 MB.
MAX_GROWTH_MB = 15


@pytest.fixture(scope="module")
def first_use(tmp_path_factory):
    """The cache folder after a first use in a process, with what that use answered; tests that
    need a healthy cache file copy this one rather than wait for another build."""
    folder = tmp_path_factory.mktemp("first-use")
    with override_settings(SEGMENTER_CACHE_DIR=str(folder)):
        return folder, answers(dictionary.load(DOMAIN_WORDS))


@pytest.fixture
def cached(first_use, settings, tmp_path):
    """A healthy cache file in this test's own cache folder."""
    settings.SEGMENTER_CACHE_DIR = str(tmp_path)
    name = dictionary.cache_name(dictionary.jieba_dict_path(), DOMAIN_WORDS)
    return Path(shutil.copy(first_use[0] / name, tmp_path / name))


def answers(words: dictionary.Dictionary):
    return words.total, best_split(SENTENCE, words)


def test_the_first_use_builds_the_cache_file(first_use):
    folder, answered = first_use
    assert answered[1] == ["用", "提示词", "让", "大模型", "帮", "你", "变现"]
    assert sorted(path.suffix for path in folder.iterdir()) == [".dawg", ".lock"]


def test_later_uses_read_the_cache_file_without_building(first_use, cached, monkeypatch):
    monkeypatch.setattr(dictionary, "build_in_subprocess", None)  # calling either would fail the test
    monkeypatch.setattr(dictionary_file, "build", None)
    assert answers(dictionary.load(DOMAIN_WORDS)) == first_use[1]


def test_other_domain_words_make_another_cache_file():
    source = dictionary.jieba_dict_path()
    assert dictionary.cache_name(source, DOMAIN_WORDS) != dictionary.cache_name(source, (*DOMAIN_WORDS, "播客"))


def damaged(data: bytes, damage: str) -> bytes:
    middle = len(data) // 2
    return {"truncated": data[:middle], "a flipped bit": data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :], "empty": b""}[damage]


@pytest.mark.parametrize("damage", ["truncated", "a flipped bit", "empty"])
def test_a_damaged_cache_file_is_not_read(cached, damage, caplog):
    cached.write_bytes(damaged(cached.read_bytes(), damage))
    with caplog.at_level(logging.WARNING, logger="articles.dictionary"):
        assert dictionary.read_intact(cached) is None
    assert "damaged" in caplog.text


def test_a_damaged_cache_file_is_built_again(first_use, cached):
    intact = cached.read_bytes()
    cached.write_bytes(damaged(intact, "a flipped bit"))
    assert answers(dictionary.load(DOMAIN_WORDS)) == first_use[1]
    assert cached.read_bytes() == intact


def test_without_a_writable_cache_dir_the_process_builds_the_dictionary_itself(first_use, settings, tmp_path, caplog):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    settings.SEGMENTER_CACHE_DIR = str(blocker / "segmenter")  # cannot be made, even by root
    with caplog.at_level(logging.WARNING, logger="articles.dictionary"):
        assert answers(dictionary.load(DOMAIN_WORDS)) == first_use[1]
    assert "building one in this process" in caplog.text


# A process that segments as a web worker does: a query, then a document.
PROCESS = """
import json, logging, sys
from django.conf import settings
settings.configure(SEGMENTER_CACHE_DIR=sys.argv[1])
logging.basicConfig(level=logging.INFO, format="%(message)s")
from articles.segmenting import index_tokens, query_terms

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))

before = rss_mb()
query_terms("如何用提示词让大模型帮你变现")
index_tokens(open("fixtures/seeds/004_6da403e4822e7372.txt").read())
print(json.dumps({"growth_mb": rss_mb() - before, "jieba": "jieba" in sys.modules}))
"""


def segmenting_processes(cache_dir: Path, count: int) -> list[tuple[dict, str]]:
    """What each of count processes started together reports, and what it logged."""
    processes = [
        subprocess.Popen([sys.executable, "-c", PROCESS, str(cache_dir)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    reports = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        reports.append((json.loads(stdout.strip().splitlines()[-1]), stderr))
    return reports


def test_processes_segment_without_jieba_or_its_dictionary_and_build_the_cache_file_once(tmp_path):
    starting_together = segmenting_processes(tmp_path, 3)
    assert sum(log.count("Built the segmenting dictionary") for _, log in starting_together) == 1
    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".dawg", ".lock"]
    started_later = segmenting_processes(tmp_path, 1)
    assert "Built" not in started_later[0][1]
    for report, _ in starting_together + started_later:
        assert not report["jieba"]
        assert report["growth_mb"] < MAX_GROWTH_MB, report
