"""The bulk import budget: 2,000 xiaobot pages (about 20,000 articles) in under 60 s, database included.

Parsing has to stay a small share of that, so 200 seed-sized pages must parse in well under 2 s
(a few milliseconds a page) and the time must grow linearly with hostile input.
"""

import time

from articles.importers import detect_format, parse_document

from .helpers import XIAOBOT_SEED, seed


def synthetic_pages(count: int) -> list[str]:
    page = seed(XIAOBOT_SEED)
    return [page.replace("Sora，从入门到精通", f"第{index}号专栏").replace("242人", f"{index}人") for index in range(count)]


def test_two_hundred_seed_sized_pages_detect_and_parse_in_under_two_seconds():
    pages = synthetic_pages(200)
    started = time.perf_counter()
    documents = [parse_document(page, format=detect_format(page)) for page in pages]
    elapsed = time.perf_counter() - started
    assert sum(len(document.articles) for document in documents) == 2000
    assert elapsed < 2.0


def test_pathological_lines_parse_in_linear_time():
    hostile = "\n".join(
        [
            "### 0" + "0" * 50_000 + "x",
            "." * 100_000 + "x",
            "# " + " " * 100_000 + "#x",
            "[" * 50_000 + "](" * 50_000,
            "<" * 50_000 + "https://a.cn/" + "a" * 50_000,
            "图 1-1 " + "图" * 100_000,
        ]
    )
    for format in ("xiaobot", "feishu", "markdown", "book"):
        started = time.perf_counter()
        parse_document(hostile, format=format)
        assert time.perf_counter() - started < 1.0, format
