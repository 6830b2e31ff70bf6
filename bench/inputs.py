"""How long hostile and large inputs take, each against its budget.

    .venv/bin/python bench/inputs.py [--repeat 3] [--only markdown]

The suite checks what these inputs give; this times the same inputs against the budgets the suite
used to assert:
- Markdown: the pathological inputs of bench/hostile_inputs.py (1.5 s each) and eight short
  repetitions (1 s each) through render_markdown;
- HTML nesting: tens of thousands of unclosed <div>s (5 s each);
- parsers: 200 seed-sized xiaobot pages detected and parsed (2 s), and lines built to make a
  backtracking pattern quadratic, through each parser (1 s each);
- images: decompression bombs, refused from their header (0.5 s each);
- import: 40 generated xiaobot pages (bench/import_xiaobot.py) into a fresh SQLite database (10 s),
  each run in a process and a database of its own, migrated before the clock starts.
Inputs are built before the clock starts. With --repeat N each case runs N times and its median is
reported; the exit status is 1 when a median misses its budget or a case does not do what it should.
"""

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHORT_MARKDOWN = {
    "'>' x 5000": ">" * 5000,
    "'[' x 5000": "[" * 5000,
    "'> ' x 5000": "> " * 5000,
    "'1. ' x 2000": "1. " * 2000,
    "'- ' x 3000": "- " * 3000,
    "'![' x 3000": "![" * 3000,
    "'<' x 5000": "<" * 5000,
    "'**a' x 3000": "**a" * 3000,
}
SHORT_MARKDOWN_BUDGET_SECONDS = 1.0

# Parsing has to stay a small share of the import budget (bench/import_xiaobot.py): a few
# milliseconds a seed-sized page, and time that grows linearly with hostile lines.
SEED_PAGES = 200
SEED_PAGES_BUDGET_SECONDS = 2.0
HOSTILE_LINES = "\n".join(
    [
        "### 0" + "0" * 50_000 + "x",
        "." * 100_000 + "x",
        "# " + " " * 100_000 + "#x",
        "[" * 50_000 + "](" * 50_000,
        "<" * 50_000 + "https://a.cn/" + "a" * 50_000,
        "图 1-1 " + "图" * 100_000,
    ]
)
HOSTILE_LINES_FORMATS = ("xiaobot", "feishu", "markdown", "book")
HOSTILE_LINES_BUDGET_SECONDS = 1.0

# Refused from the header: decoding would take side² bytes (49 MB to 400 MB) and seconds.
BOMB_SIDES = (7_000, 20_000)
BOMB_LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_pixels": 20_000_000}  # as in tests/articles_tests/test_images.py
BOMB_BUDGET_SECONDS = 0.5

# More than RENDER_AHEAD_MIN_DOCUMENTS: with two cores or more, a render worker takes part.
IMPORT_PAGES = 40
# About 2 s on the 2-core development machine; the margin keeps a busy machine from failing.
IMPORT_BUDGET_SECONDS = 10.0


class CaseFailed(Exception):
    """The case did something other than what it is timed doing."""


@dataclass(frozen=True)
class Case:
    name: str
    budget: float
    run: Callable[[], float]  # one run's seconds; inputs are built before its clock starts


def seconds_of(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def markdown_cases() -> list[Case]:
    from articles.markdown import render_markdown
    from bench.hostile_inputs import PATHOLOGICAL, PATHOLOGICAL_BUDGET_SECONDS, UNCLOSED_DIVS, UNCLOSED_DIVS_BUDGET_SECONDS

    render_markdown("warm-up")  # the first call builds the renderer every later call reuses

    def render(text: str) -> float:
        return seconds_of(lambda: render_markdown(text))

    cases = [Case(f"markdown: {name}", PATHOLOGICAL_BUDGET_SECONDS, functools.partial(render, text)) for name, text in PATHOLOGICAL.items()]
    cases += [Case(f"markdown: {name}", SHORT_MARKDOWN_BUDGET_SECONDS, functools.partial(render, text)) for name, text in SHORT_MARKDOWN.items()]
    cases += [
        Case(f"html nesting: unclosed divs, {name}", UNCLOSED_DIVS_BUDGET_SECONDS, functools.partial(render, text)) for name, text in UNCLOSED_DIVS.items()
    ]
    return cases


@functools.cache
def seed_sized_pages() -> list[str]:
    from tests.articles_tests.importers.helpers import XIAOBOT_SEED, seed

    page = seed(XIAOBOT_SEED)
    return [page.replace("Sora，从入门到精通", f"第{index}号专栏").replace("242人", f"{index}人") for index in range(SEED_PAGES)]


def parse_seed_sized_pages() -> float:
    from articles.importers import detect_format, parse_document

    pages = seed_sized_pages()
    started = time.perf_counter()
    documents = [parse_document(page, format=detect_format(page)) for page in pages]
    seconds = time.perf_counter() - started
    articles = sum(len(document.articles) for document in documents)
    if articles != 10 * SEED_PAGES:
        raise CaseFailed(f"{articles} articles, not {10 * SEED_PAGES}")
    return seconds


def parse_hostile_lines(format: str) -> float:
    from articles.importers import parse_document

    return seconds_of(lambda: parse_document(HOSTILE_LINES, format=format))


def parser_cases() -> list[Case]:
    cases = [Case(f"parsers: {SEED_PAGES} seed-sized xiaobot pages", SEED_PAGES_BUDGET_SECONDS, parse_seed_sized_pages)]
    cases += [
        Case(f"parsers: hostile lines, {format}", HOSTILE_LINES_BUDGET_SECONDS, functools.partial(parse_hostile_lines, format))
        for format in HOSTILE_LINES_FORMATS
    ]
    return cases


@functools.cache
def bomb(side: int) -> bytes:
    from tests.articles_tests.image_samples import png_bomb

    return png_bomb(side)


def refuse_bomb(side: int) -> float:
    from articles.images import ImageRejected, sanitize_image

    data = bomb(side)
    started = time.perf_counter()
    try:
        sanitize_image(data, **BOMB_LIMITS)
    except ImageRejected as refused:
        seconds = time.perf_counter() - started
        if refused.code != "too_many_pixels":
            raise CaseFailed(f"refused as {refused.code}, not too_many_pixels") from None
        return seconds
    raise CaseFailed("the bomb was accepted")


def image_cases() -> list[Case]:
    return [Case(f"images: {side:,} x {side:,} PNG bomb", BOMB_BUDGET_SECONDS, functools.partial(refuse_bomb, side)) for side in BOMB_SIDES]


def import_cases(workdir: Path) -> list[Case]:
    from bench.import_xiaobot import generate_pages, run_once

    @functools.cache
    def pages_dir() -> tuple[Path, int]:
        directory = workdir / "pages"
        directory.mkdir()
        pages = generate_pages(IMPORT_PAGES)
        for page in pages:
            (directory / page.filename).write_text(page.text, encoding="utf-8")
        return directory, sum(page.posts for page in pages)

    def import_pages() -> float:
        directory, posts = pages_dir()
        result = run_once(directory, Path(tempfile.mkdtemp(dir=workdir)) / "run", expected_articles=posts, profile=False)
        if result["problems"]:
            raise CaseFailed("; ".join(result["problems"]))
        return result["seconds"]

    return [Case(f"import: {IMPORT_PAGES} xiaobot pages, fresh SQLite", IMPORT_BUDGET_SECONDS, import_pages)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case; the median is reported")
    parser.add_argument("--only", default="", help="only the cases whose name contains this text, e.g. markdown, parsers, images or import")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()

    with tempfile.TemporaryDirectory(prefix="bench-inputs-") as workdir:
        cases = [case for case in markdown_cases() + parser_cases() + image_cases() + import_cases(Path(workdir)) if args.only in case.name]
        width = max((len(case.name) for case in cases), default=4)
        print(f"{'case':{width}}  {'median s':>9}  {'budget s':>9}" + (f"  (median of {args.repeat} runs)" if args.repeat > 1 else ""))
        missed = []
        for case in cases:
            try:
                median = statistics.median(case.run() for _ in range(args.repeat))
            except CaseFailed as failure:
                print(f"{case.name:{width}}  {'-':>9}  {case.budget:9.2f}  FAILED: {failure}")
                missed.append(case.name)
                continue
            over = median >= case.budget
            print(f"{case.name:{width}}  {median:9.3f}  {case.budget:9.2f}" + ("  OVER BUDGET" if over else ""))
            if over:
                missed.append(case.name)
    if missed:
        print(f"FAIL: {len(missed)} of {len(cases)} cases missed their budget: {', '.join(missed)}")
        return 1
    print(f"PASS: {len(cases)} cases within their budgets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
