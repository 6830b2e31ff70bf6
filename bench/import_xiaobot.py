"""How long importing xiaobot pages into a fresh SQLite database takes.

    .venv/bin/python bench/import_xiaobot.py [--pages 2000] [--repeat 3] [--profile]

Generates --pages synthetic column pages in the awesome-xiaobot format (see
fixtures/seeds/000_e8d6d63f2d1343cd.txt), about ten posts each, from a fixed seed so runs compare.
Most pages number their posts ("### 010 …"); about a third do not, so their posts are known by
their titles (articles/importers/identity.py): both identity rules are timed.
Each run starts a fresh process on a fresh database (migrated before the clock starts) and imports
every page through `import_uploads`, the service behind the admin import page and the
`import_documents` command, with production settings (DJANGO_DEBUG off). Only the import is
timed. The run then checks what was written and imports the same pages again, which must change
nothing, within REIMPORT_BUDGET_SECONDS. With --repeat the median run is reported; the budget is
IMPORT_BUDGET_SECONDS.
"""

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_BUDGET_SECONDS = 60.0
REIMPORT_BUDGET_SECONDS = 15.0
UNNUMBERED_PAGES = 0.3
SEED = 20241128
RESULT_PREFIX = "BENCH-RESULT "

# Generation: pure, no Django, so tests can import it.

TOPICS = [
    "AI写作",
    "Sora",
    "ChatGPT",
    "副业",
    "职场",
    "理财",
    "基金定投",
    "读书",
    "英语口语",
    "Python",
    "产品经理",
    "短视频",
    "小红书运营",
    "私域流量",
    "摄影",
    "健身",
    "育儿",
    "历史",
    "心理学",
    "跨境电商",
    "独立开发",
    "求职面试",
    "宏观经济",
    "美股",
    "AI绘画",
    "Midjourney",
    "提示词",
    "公众号写作",
    "播客",
    "设计",
    "数据分析",
    "前端开发",
    "出海",
    "自媒体",
    "咖啡",
    "旅行",
    "投资",
    "创业",
    "法律常识",
    "中医养生",
]
TITLE_PREFIXES = ["", "", "", "老王的", "小白学", "每天一点", "深度", "极简", "硬核", "普通人的", "打工人的", "一人公司的", "零基础", "高效"]
TITLE_FORMS = [
    "，从入门到精通",
    "实战手册",
    "研究所",
    "笔记",
    "周刊",
    "日报",
    "训练营",
    "百问",
    "通关指南",
    "工具箱",
    "进阶课",
    "内参",
    "观察",
    "手记",
    "精选",
    "私房课",
    "30讲",
    "案例库",
    "一本通",
    "成长营",
]
SLUG_WORDS = ["ai", "sora", "gpt", "money", "pm", "dev", "read", "work", "fit", "mom", "trip", "biz", "data", "pro", "note"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ["子涵", "一鸣", "思远", "晓峰", "雨桐", "浩然", "佳怡", "志强", "明轩", "若溪", "文博", "静怡"]
NICKNAMES = ["清风徐来", "老K", "阿飞", "程序员小张", "林深见鹿", "大橘", "北漂十年", "数据君", "半夏", "木子", "老罗说", "一只猫"]
SERIES = ["认知篇", "基础篇", "工具篇", "实战篇", "案例篇", "逻辑篇", "变现篇", "进阶篇", "复盘篇", "答疑篇", "方法篇", "思维篇"]
TITLE_NOUNS = ["常识", "入门", "工具集锦", "避坑指南", "核心逻辑", "底层原理", "变现路径", "实操案例", "复盘", "提示词模板", "工作流", "选题方法"]
TITLE_HOOKS = ["效率提升30倍", "颠覆好莱坞", "普通人也能上手", "一篇讲透", "看完就会", "值得收藏", "新手必读", "从一盆冷水开始", "打开兵器库", "少走三年弯路"]
GOALS = ["做出爆款视频", "赚到第一桶金", "搭建个人知识库", "找到副业方向", "写出10万+文章", "提升工作效率", "建立自己的影响力", "跑通变现闭环"]
SUBJECTS = ["我们", "很多人", "普通人", "这个工具", "这套方法", "新手", "老读者", "整个团队", "市场", "平台", "大部分同学", "真正的高手"]
ADVERBS = ["其实", "往往", "正在", "已经", "完全可以", "首先需要", "最好先", "一直在", "很容易", "慢慢学会"]
VERBS = ["理解", "掌握", "忽视", "重新审视", "拆解", "复用", "验证", "优化", "记录", "对比", "坚持练习", "总结"]
OBJECTS = [
    "背后的底层逻辑",
    "每一个细节",
    "用户真正的需求",
    "内容的节奏",
    "选题和标题",
    "数据背后的变化",
    "自己的工作流",
    "提示词的写法",
    "长期复利的力量",
    "第一批种子用户",
    "分镜脚本",
    "成本和收益",
    "最小可行版本",
    "行业的发展脉络",
]
ENDINGS = ["。", "。", "。", "！", "？", "，这一点非常关键。", "，后面会详细展开。", "，一定要亲自试一试。", "，效果会好很多。"]
LATIN_ASIDES = ["（比如 ChatGPT、Claude）", "（Runway Gen-3 就是典型）", "，大约能节省 30% 的时间", "（英文叫 Prompt）", "，参考 2024 年的数据"]
NUMERALS = "一二三四五六七八九十"
LINK_NAMES = ["官方文档", "工具地址", "案例合集", "原文链接", "社区讨论", "入门教程"]


@dataclass(frozen=True)
class SyntheticPage:
    filename: str
    text: str
    posts: int


def generate_pages(count: int, *, seed: int = SEED) -> list[SyntheticPage]:
    """count distinct column pages, each with 8 to 12 posts; the same seed gives the same pages."""
    rng = random.Random(seed)
    names = column_names(rng, count)
    return [page(rng, index, name) for index, name in enumerate(names, start=1)]


def column_names(rng: random.Random, count: int) -> list[str]:
    combos = list(dict.fromkeys(prefix + topic + form for prefix in TITLE_PREFIXES for topic in TOPICS for form in TITLE_FORMS))
    rng.shuffle(combos)
    return [combos[index % len(combos)] + (f"（第{index // len(combos) + 1}辑）" if index >= len(combos) else "") for index in range(count)]


def page(rng: random.Random, index: int, name: str) -> SyntheticPage:
    slug = f"{rng.choice(SLUG_WORDS)}{index}"
    author = rng.choice(NICKNAMES) if rng.random() < 0.3 else rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
    topic = next((topic for topic in TOPICS if topic in name), rng.choice(TOPICS))
    post_count = rng.randint(8, 12)
    latest = rng.randint(post_count, 240)
    readers = rng.choice([f"{rng.randint(3, 999)}人", f"{rng.randint(1, 9)}.{rng.randint(1, 9)}万人"])
    updated = date(2023, 6, 1) + timedelta(days=rng.randint(0, 580))
    series = rng.sample(SERIES, rng.randint(3, 5)) if rng.random() < 0.75 else []
    numbered = rng.random() >= UNNUMBERED_PAGES
    refer = "-".join(hex_digits(rng, length) for length in (8, 4, 4, 4, 12))

    lines = [f"# {name}_小报童_Awesome_XiaoBOT", "", f"## {name}介绍"]
    intro = [sentence(rng, topic) + "    " for _ in range(rng.randint(2, 5))]
    lines += ["> " + intro[0], *intro[1:], "  ", "", "", ""]
    lines += [
        "|名称|作者|读者数量|内容数量|更新时间|",
        "|---|---|---|---|---|",
        f"|[{name}](https://xiaobot.net/p/{slug}?refer={refer})|{author}|{readers}|{latest}篇|{updated.isoformat()}|",
        "",
        "## 最近更新",
    ]
    for number in range(latest, latest - post_count, -1):
        heading = post_heading(rng, number, series, topic)
        lines += [f"### {heading if numbered else heading.split(' ', 1)[1]}", "", post_body(rng, topic, author), ""]
    lines += [
        "",
        '<a href="https://github.com/Reno9527/awesome-xiaobot" style="color: white; text-decoration: none;">awesome-xiaobot</a>',
        "",
        "返回 [首页](../README.md)",
        "",
    ]
    return SyntheticPage(filename=f"{index:05d}_{slug}.md", text="\n".join(lines), posts=post_count)


def hex_digits(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def post_heading(rng: random.Random, number: int, series: list[str], topic: str) -> str:
    title = rng.choice(
        [
            f"{topic}{rng.choice(TITLE_NOUNS)}，{rng.choice(TITLE_HOOKS)}",
            f"如何用{topic}{rng.choice(GOALS)}",
            f"为什么{rng.choice(SUBJECTS)}{rng.choice(ADVERBS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}",
            f"{rng.choice(TITLE_HOOKS)}：{topic}{rng.choice(TITLE_NOUNS)}",
        ]
    )
    prefix = f"{rng.choice(series)}：" if series else ""
    return f"{number:03d} {prefix}{title}"


def sentence(rng: random.Random, topic: str) -> str:
    aside = rng.choice(LATIN_ASIDES) if rng.random() < 0.15 else ""
    return f"{rng.choice(SUBJECTS)}{rng.choice(ADVERBS)}{rng.choice(VERBS)}{topic}{rng.choice(OBJECTS)}{aside}{rng.choice(ENDINGS)}"


def paragraph(rng: random.Random, topic: str, sentences: tuple[int, int] = (1, 4)) -> str:
    return "".join(sentence(rng, topic) for _ in range(rng.randint(*sentences)))


def post_body(rng: random.Random, topic: str, author: str) -> str:
    """Most posts are a few paragraphs, many are excerpts cut with "......", some are long articles."""
    roll = rng.random()
    if roll < 0.4:
        return excerpt_body(rng, topic, author)
    if roll < 0.85:
        return short_body(rng, topic)
    return long_body(rng, topic, author)


def excerpt_body(rng: random.Random, topic: str, author: str) -> str:
    blocks = ["你好", f"我是深耕{topic}领域的{author}"] + [paragraph(rng, topic, (1, 2)) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        return "\n\n".join(blocks + ["......"])
    return "\n\n".join(blocks) + "......"


def short_body(rng: random.Random, topic: str) -> str:
    blocks = [paragraph(rng, topic) for _ in range(rng.randint(3, 9))]
    if rng.random() < 0.3:
        blocks.insert(rng.randint(1, len(blocks)), f"**{rng.choice(TITLE_HOOKS)}**")
    if rng.random() < 0.3:
        blocks.insert(rng.randint(1, len(blocks)), "\n\n".join(f"  * {sentence(rng, topic)}" for _ in range(rng.randint(3, 5))))
    if rng.random() < 0.2:
        blocks.append(f"{rng.choice(LINK_NAMES)}：[{topic}](https://example.com/{hex_digits(rng, 8)})")
    return "\n\n".join(blocks)


def long_body(rng: random.Random, topic: str, author: str) -> str:
    """Like post 001 of the seed page: numbered sections, lists, links, images, a call to action."""
    blocks = [f"阅读指引：{sentence(rng, topic)}", "你好", f"我是深耕{topic}领域的{author}"]
    blocks += [paragraph(rng, topic, (1, 2)) for _ in range(rng.randint(3, 6))]
    for position in range(rng.randint(4, 8)):
        heading = f"{NUMERALS[position]}、{topic}{rng.choice(TITLE_NOUNS)}"
        blocks.append(f"#### **{heading}**" if rng.random() < 0.4 else f"**{heading}**")
        blocks += [paragraph(rng, topic, (1, 5)) for _ in range(rng.randint(2, 6))]
        kind = rng.random()
        if kind < 0.3:
            blocks += [f"  *  _{rng.choice(TITLE_NOUNS)}_ ：{sentence(rng, topic)}" for _ in range(rng.randint(3, 6))]
        elif kind < 0.5:
            blocks += [f"  * [{topic}{rng.choice(LINK_NAMES)}](https://example.com/{hex_digits(rng, 10)})" for _ in range(rng.randint(3, 8))]
        elif kind < 0.7:
            blocks.append(f"![](https://static.xiaobot.net/file/{date(2024, 1, 1) + timedelta(days=rng.randint(0, 330))}/518627/{hex_digits(rng, 32)}.webp)")
        elif kind < 0.8:
            blocks.append(f" _{paragraph(rng, topic, (1, 1))}_")
    blocks += [
        "本篇分享完毕，谢谢大家!",
        f"最后，您订阅后，带上支付截图，加我微信 ： _{hex_digits(rng, 10)}_\n（24小时内回复），并且还可以加入本专栏配备的**【微信交流群】**",
    ]
    return "\n\n".join(blocks)


# Measuring: runs in a child process whose environment points Django at a fresh database.


def measure(pages_dir: Path, *, expected_articles: int, profile: bool) -> dict:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max

    from articles.importers import service
    from articles.models import Article, Column

    call_command("migrate", interactive=False, verbosity=0)
    uploads = [service.Upload(path.name, path.read_bytes()) for path in sorted(pages_dir.iterdir())]
    options = service.ImportOptions()

    # Per-page times: each call import_uploads makes to import_document (in a large batch the page
    # was parsed and its Markdown rendered ahead, outside this time), timed without changing it.
    page_seconds: list[float] = []
    import_document = service.import_document

    def timed_import_document(**kwargs):
        started = time.perf_counter()
        try:
            return import_document(**kwargs)
        finally:
            page_seconds.append(time.perf_counter() - started)

    service.import_document = timed_import_document
    queries = 0

    def count_query(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    with connection.execute_wrapper(count_query):
        started, cpu_started = time.perf_counter(), cpu_time()
        if profiler:
            profiler.enable()
        report = service.import_uploads(uploads=uploads, options=options, dry_run=False)
        if profiler:
            profiler.disable()
        seconds, cpu_seconds = time.perf_counter() - started, cpu_time() - cpu_started
    first_page_seconds = list(page_seconds)

    problems = [f"{file.filename}: {file.error}" for file in report.failed][:5]
    created = sum(file.count(service.Action.CREATE) for file in report.files)
    article_count, column_count = Article.objects.count(), Column.objects.count()
    if created != expected_articles or article_count != expected_articles:
        problems.append(f"expected {expected_articles} articles, created {created}, the database holds {article_count}")
    if column_count != len(uploads):
        problems.append(f"expected {len(uploads)} columns, the database holds {column_count}")

    last_change = Article.objects.aggregate(last=Max("updated_at"))["last"]
    import_queries = queries
    with connection.execute_wrapper(count_query):
        started = time.perf_counter()
        again = service.import_uploads(uploads=uploads, options=options, dry_run=False)
        reimport_seconds = time.perf_counter() - started
    reimport_queries = queries - import_queries
    unchanged = sum(file.count(service.Action.UNCHANGED) for file in again.files)
    if unchanged != expected_articles or not again.ok:
        problems.append(f"re-import: {unchanged} of {expected_articles} articles unchanged")
    if Article.objects.count() != article_count or Article.objects.aggregate(last=Max("updated_at"))["last"] != last_change:
        problems.append("re-import changed the articles")

    result = {
        "pages": len(uploads),
        "created": created,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "median_page_seconds": statistics.median(first_page_seconds) if first_page_seconds else 0.0,
        "queries_per_page": import_queries / max(len(uploads), 1),
        "reimport_seconds": reimport_seconds,
        "reimport_queries_per_page": reimport_queries / max(len(uploads), 1),
        "problems": problems,
    }
    if profiler:
        import io
        import pstats

        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
        result["profile"] = stream.getvalue()
    return result


def cpu_time() -> float:
    """CPU seconds of this process and of its finished children (the import's render workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def run_once(pages_dir: Path, run_dir: Path, *, expected_articles: int, profile: bool) -> dict:
    run_dir.mkdir()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"sqlite:///{run_dir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(run_dir / "media"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    }
    command = [sys.executable, __file__, "--measure", str(pages_dir), "--expected-articles", str(expected_articles)]
    if profile:
        command.append("--profile")
    finished = subprocess.run(command, env=environment, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    line = next(line for line in reversed(finished.stdout.splitlines()) if line.startswith(RESULT_PREFIX))
    return json.loads(line[len(RESULT_PREFIX) :])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="column pages to generate (default 2000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh database; the median is reported")
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest calls of the first run (slows it)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--expected-articles", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        result = measure(args.measure, expected_articles=args.expected_articles, profile=args.profile)
        print(RESULT_PREFIX + json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-import-") as workdir:
        pages_dir = Path(workdir) / "pages"
        pages_dir.mkdir()
        started = time.perf_counter()
        pages = generate_pages(args.pages, seed=args.seed)
        for generated in pages:
            (pages_dir / generated.filename).write_text(generated.text, encoding="utf-8")
        expected = sum(generated.posts for generated in pages)
        megabytes = sum(len(generated.text.encode()) for generated in pages) / 1e6
        print(f"generated {len(pages)} pages, {expected} posts, {megabytes:.1f} MB in {time.perf_counter() - started:.1f} s (seed {args.seed})")

        runs = []
        for number in range(1, args.repeat + 1):
            result = run_once(pages_dir, Path(workdir) / f"run{number}", expected_articles=expected, profile=args.profile and number == 1)
            runs.append(result)
            print(
                f"run {number}: {result['seconds']:.1f} s ({result['cpu_seconds']:.1f} s of CPU with render workers), "
                f"{result['created'] / result['seconds']:.0f} articles/s, "
                f"median page {result['median_page_seconds'] * 1000:.1f} ms, {result['queries_per_page']:.1f} queries/page, "
                f"re-import {result['reimport_seconds']:.1f} s"
            )
            if "profile" in result:
                print(result["profile"])

    middle = sorted(runs, key=lambda run: run["seconds"])[(len(runs) - 1) // 2]
    problems = [problem for run in runs for problem in run["problems"]]
    print(f"pages:              {middle['pages']}")
    print(f"articles created:   {middle['created']}")
    print(f"import seconds:     {middle['seconds']:.1f}" + (f" (median of {len(runs)} runs)" if len(runs) > 1 else ""))
    print(f"articles/second:    {middle['created'] / middle['seconds']:.0f}")
    print(f"median page import: {middle['median_page_seconds'] * 1000:.1f} ms")
    print(f"re-import seconds:  {statistics.median(run['reimport_seconds'] for run in runs):.1f}" + ("" if problems else " (all unchanged)"))
    print(f"re-import queries:  {middle['reimport_queries_per_page']:.1f} per page")
    for problem in problems:
        print(f"problem: {problem}")
    reimport = statistics.median(run["reimport_seconds"] for run in runs)
    passed = not problems and middle["seconds"] < IMPORT_BUDGET_SECONDS and reimport < REIMPORT_BUDGET_SECONDS
    print(
        f"{'PASS' if passed else 'FAIL'}: import {middle['seconds']:.1f} s against the {IMPORT_BUDGET_SECONDS:.0f} s budget, "
        f"re-import {reimport:.1f} s against {REIMPORT_BUDGET_SECONDS:.0f} s" + ("" if not problems else ", with problems above")
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
