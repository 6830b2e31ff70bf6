"""A xiaobot (小报童) column page as archived by awesome-xiaobot: the column, then its recent posts.

    # <name>_小报童_Awesome_XiaoBOT
    ## <name>介绍
    > intro…
    |名称|作者|读者数量|内容数量|更新时间|
    |[<name>](https://xiaobot.net/p/…?refer=…)|<author>|242人|189篇|2024-11-28|
    ## 最近更新
    ### 010 工具篇：打开兵器库…（2024-11-28）   a date closing the heading, or alone on the post's
    <post text, maybe cut off with "......">    first or last line, is the post's date

Everything before the first "###" describes the column; each "###" starts a post. The page lists
the newest post first, and a later snapshot lists other posts in the same places, so a post is
known by the number its title states (when every post states a different one) or by its title.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from articles.importers.base import (
    ARTICLE_TITLE_MAX_CHARS,
    COLUMN_TITLE_MAX_CHARS,
    SECTION_TITLE_MAX_CHARS,
    UNTITLED,
    ParsedArticle,
    ParsedColumn,
    ParsedDocument,
    filename_stem,
    fit_title,
)
from articles.importers.dates import DATE_TEXT, TIME_TEXT, bare_date, date_of, labelled_date
from articles.importers.identity import distinct, number_identity, title_identity
from articles.importers.images import ImageCollector
from articles.importers.links import autolink_markdown
from articles.importers.markdown_source import collapse_spaces, fenced_code_mask, parse_heading, plain_text_of_inline, trim_blank_lines

PAGE_TITLE_MARK = "_小报童"
RECENT_HEADING = "最近更新"
INTRO_HEADING_END = "介绍"
TABLE_RULE_CELL_RE = re.compile(r"^:?-{3,}:?$")
QUOTE_MARKER_RE = re.compile(r"^[ ]{0,3}>[ ]?")
LINK_RE = re.compile(r"\[([^\[\]\n]*)\]\(\s*<?([^()\s<>]+)>?[^()]*\)")
COUNT_RE = re.compile(r"([0-9][0-9,]*)(?:\.([0-9]+))?\s*(万)?")
DATE_RE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})")

# The column table's cells that have a form of their own, so a row that a "|" in the author's name
# split into too many cells can still be read from its right end.
COLUMN_FIELDS = ("名称", "作者", "读者数量", "内容数量", "更新时间")
ANCHORED_CELLS = (
    ("更新时间", re.compile(DATE_RE.pattern + r"\s*日?(?:\s+[0-9]{1,2}[:：][0-9]{2}(?:[:：][0-9]{2})?)?$")),
    ("内容数量", re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?\s*万?\s*篇$")),
    ("读者数量", re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?\s*万?\s*人$")),
)
# "### 010 标题（2024-11-28）": a date in brackets closing a post's heading is its date, not its title.
HEADING_DATE_RE = re.compile(r"[（(【\[]\s*" + DATE_TEXT + TIME_TEXT + r"\s*[）)】\]]$")

# The awesome-xiaobot page template ends with a credit link and a way back to its index.
FOOTER_LINE_RE = re.compile(r"^返回\s*\[首页\]\([^()]*\)$")
FOOTER_CREDIT = "awesome-xiaobot"

# "010 工具篇：…", "01. …", "第3篇：…", "【12】…". A bare number needs a space or a separator after it,
# or zero padding, and may not be a quantity ("100 个提示词", "2024 年总结").
NUMBER_PREFIX_RE = re.compile(
    r"^(?:第\s*(?P<ordinal>[0-9]+)\s*[篇期讲课节][\s:：、.．]*"
    r"|【\s*(?P<bracketed>[0-9]+)\s*】\s*"
    r"|(?P<padded>0[0-9]+)(?![A-Za-z0-9])[\s:：、.．|\-—]*"
    r"|(?P<bare>[1-9][0-9]*)(?:\s*[:：、.．|\-—]\s*|\s+))"
    r"(?P<rest>\S.*)$"
)
QUANTITY_WORDS = "个种天条招款步位岁年月日周次分秒点万千百亿元倍张篇章节期讲课集部本句件项%+＋"
SERIES_RE = re.compile(r"^(?P<series>[^\s:：]{1,12}?(?:篇|系列|专题|模块|单元|部分|卷))\s*[：:]\s*\S")


def parse(text: str, *, filename: str) -> ParsedDocument:
    lines = text.split("\n")
    post_starts = [
        index
        for index, (line, code) in enumerate(zip(lines, fenced_code_mask(lines), strict=True))
        if not code and (heading := parse_heading(line)) and heading[0] == 3
    ]
    header = lines[: post_starts[0]] if post_starts else lines
    boundaries = post_starts + [len(lines)]
    posts = [lines[start:end] for start, end in pairwise(boundaries)]
    if posts:
        posts[-1] = drop_footer(posts[-1])
    else:
        header = drop_footer(header)

    warnings: list[str] = []
    column = parse_column(header, filename, warnings)
    articles = parse_posts(posts, warnings)
    if not articles:
        warnings.append("页面上没有找到文章（以 ### 开头的标题）")
    return ParsedDocument(
        format="xiaobot",
        title=column.title,
        source_url=column.source_url,
        column=column,
        articles=tuple(articles),
        warnings=tuple(warnings),
        newest_first=True,
    )


def drop_footer(lines: list[str]) -> list[str]:
    lines = trim_blank_lines(lines)
    while lines and is_footer_line(lines[-1].strip()):
        lines = trim_blank_lines(lines[:-1])
    return lines


def is_footer_line(line: str) -> bool:
    credit = line.startswith("<a") and line.endswith("</a>") and FOOTER_CREDIT in line
    return credit or bool(FOOTER_LINE_RE.match(line))


def page_title(line: str) -> str | None:
    """The column name in "# <name>_小报童_Awesome_XiaoBOT", else None."""
    heading = parse_heading(line)
    if not heading or heading[0] != 1 or PAGE_TITLE_MARK not in heading[1]:
        return None
    return collapse_spaces(heading[1].partition(PAGE_TITLE_MARK)[0])


def is_column_heading(line: str) -> bool:
    """The page's own "## <name>介绍" and "## 最近更新", which carry no text of their own."""
    heading = parse_heading(line)
    return bool(heading) and heading[0] == 2 and (heading[1] == RECENT_HEADING or heading[1].endswith(INTRO_HEADING_END))


def is_table_row(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|")


def parse_column(header: list[str], filename: str, warnings: list[str]) -> ParsedColumn:
    title = ""
    table_rows: list[list[str]] = []
    intro_lines: list[str] = []
    for line in header:
        line_title = None if title else page_title(line)
        if line_title is not None:
            title = line_title
        elif is_column_heading(line):
            continue
        elif is_table_row(line):
            table_rows.append(split_table_row(line))
        else:
            intro_lines.append(QUOTE_MARKER_RE.sub("", line).rstrip())

    facts = read_column_table(table_rows, warnings)
    name_cell = facts.get("名称", "")
    link = LINK_RE.search(name_cell)
    title = title or plain_text_of_inline(name_cell) or filename_stem(filename) or UNTITLED
    return ParsedColumn(
        title=fit_title(title, COLUMN_TITLE_MAX_CHARS, warnings),
        author_name=plain_text_of_inline(facts.get("作者", "")),
        intro_markdown=intro_markdown(intro_lines),
        stated_reader_count=parse_count(facts.get("读者数量", "")),
        stated_article_count=parse_count(facts.get("内容数量", "")),
        updated_on=parse_date(facts.get("更新时间", ""), warnings),
        source_url=without_refer(link.group(2)) if link else "",
    )


def split_table_row(row: str) -> list[str]:
    """The cells of a table row. An escaped "\\|" and a "|" inside a [link](url) do not end a cell."""
    text = row.strip().removeprefix("|")
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells: list[str] = []
    cell: list[str] = []
    position = 0
    while position < len(text):
        link = LINK_RE.match(text, position) if text[position] == "[" else None
        if link:
            cell.append(link.group(0))
            position = link.end()
            continue
        if text.startswith("\\|", position):
            cell.append("|")
            position += 2
            continue
        if text[position] == "|":
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(text[position])
        position += 1
    cells.append("".join(cell).strip())
    return cells


def read_column_table(rows: list[list[str]], warnings: list[str]) -> dict[str, str]:
    """{header: cell} from the column table.

    A row with as many cells as the header is matched by header name, so column order does not
    matter. A row with more cells under the usual header had a "|" inside a cell, most often the
    author's name ("张三|Zhang San"): its cells are read from the right end instead.
    """
    rows = [row for row in rows if not all(TABLE_RULE_CELL_RE.match(cell) for cell in row)]
    if len(rows) < 2:
        warnings.append("没有找到专栏信息表格（名称、作者、读者数量……），专栏只有标题和介绍")
        return {}
    header, values = rows[0], rows[1]
    if len(rows) > 2:
        warnings.append("专栏信息表格有多行，只读取了第一行")
    if len(values) == len(header) or not set(COLUMN_FIELDS) <= set(header):
        return dict(zip(header, values, strict=False))
    return read_row_from_the_right(values)


def read_row_from_the_right(cells: list[str]) -> dict[str, str]:
    """The date, post count and reader count by their form, searched from the right end; the
    name is the first cell and the author everything between the name and those cells."""
    facts = {"名称": cells[0]}
    unclaimed = list(range(1, len(cells)))
    for name, pattern in ANCHORED_CELLS:
        found = next((index for index in reversed(unclaimed) if pattern.match(cells[index])), None)
        if found is not None:
            facts[name] = cells[found]
            unclaimed = [index for index in unclaimed if index < found]
    facts["作者"] = "|".join(cells[index] for index in unclaimed)
    return facts


def intro_markdown(lines: list[str]) -> str:
    """The intro's lines as paragraphs: on the page they were hard line breaks inside a quote."""
    return "\n\n".join(line.strip() for line in lines if line.strip())


def parse_count(cell: str) -> int | None:
    match = COUNT_RE.search(cell)
    if not match:
        return None
    whole = int(match.group(1).replace(",", ""))
    if not match.group(3):
        return whole
    fraction = match.group(2) or ""
    return whole * 10_000 + int(fraction.ljust(4, "0")[:4] or 0)


def parse_date(cell: str, warnings: list[str]) -> date | None:
    match = DATE_RE.search(cell)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        warnings.append(f"更新时间不是有效日期，已忽略：{cell}")
        return None


def without_refer(url: str) -> str:
    """The URL without its refer= (the archiver's referral code); other parameters stay as written."""
    base, _, fragment = url.partition("#")
    path, _, query = base.partition("?")
    kept = [part for part in query.split("&") if part and part.split("=", 1)[0] != "refer"]
    rebuilt = path + ("?" + "&".join(kept) if kept else "")
    return rebuilt + ("#" + fragment if fragment else "")


@dataclass(frozen=True)
class PostTitle:
    stated_number: int | None
    without_number: str
    section: str


def read_post_title(heading: str) -> PostTitle:
    """The number and series a post title states: "010 工具篇：打开兵器库" → 10, "工具篇"."""
    match = NUMBER_PREFIX_RE.match(heading)
    if match and match.group("bare") and match.group("rest")[0] in QUANTITY_WORDS:
        match = None
    number = None
    without_number = heading
    if match:
        number = int(next(digits for digits in match.group("ordinal", "bracketed", "padded", "bare") if digits))
        without_number = match.group("rest").strip()
    series = SERIES_RE.match(without_number)
    return PostTitle(number, without_number, series.group("series") if series else "")


def is_excerpt(body: str) -> bool:
    """Whether the post is cut off: it ends with six dots or two ellipsis characters."""
    end = body.rstrip()
    return end.endswith(("......", "……"))


def post_date_in_heading(heading: str) -> tuple[date | datetime | None, str]:
    """The date closing a heading ("标题（2024-11-28）") and the heading without it."""
    match = HEADING_DATE_RE.search(heading)
    stated = date_of(match) if match else None
    if stated is None:
        return None, heading
    return stated, heading[: match.start()].rstrip()


def post_date_in_body(body_lines: list[str]) -> tuple[date | datetime | None, list[str]]:
    """The date a post states on its first or last line ("2024-11-28", "发布于 2024-11-28"), and
    the body without that line. A date further inside is part of the text."""
    for edge in (0, -1) if body_lines else ():
        line = body_lines[edge]
        stated = bare_date(line) or labelled_date([line], within=1)
        if stated is not None:
            rest = body_lines[1:] if edge == 0 else body_lines[:-1]
            return stated, trim_blank_lines(rest)
    return None, body_lines


def title_identities(titles: list[PostTitle]) -> list[str]:
    """Identities by title, without a number the title may state (that is not the page's numbering).

    Repeated titles are told apart oldest first: the page lists the newest first, and counting
    from the oldest makes the first "答疑" of a column plain "答疑" and a later one "答疑~2".
    """
    oldest_first = [title_identity(title.without_number or UNTITLED) for title in reversed(titles)]
    return distinct(oldest_first)[::-1]


def parse_posts(posts: list[list[str]], warnings: list[str]) -> list[ParsedArticle]:
    headed_bodies = []
    for lines in posts:
        heading = plain_text_of_inline(parse_heading(lines[0])[1])
        body_lines = trim_blank_lines(lines[1:])
        if heading or body_lines:
            published_at, heading = post_date_in_heading(heading)
            if published_at is None:
                published_at, body_lines = post_date_in_body(body_lines)
            headed_bodies.append((heading, body_lines, published_at))
        else:
            warnings.append("跳过了一个既没有标题也没有正文的空文章")
    titles = [read_post_title(heading) for heading, _, _ in headed_bodies]

    stated = [title.stated_number for title in titles]
    use_stated = None not in stated and len(set(stated)) == len(stated)
    if use_stated:
        identities = [number_identity(number) for number in stated]
    else:
        identities = title_identities(titles)
        if any(number is not None for number in stated):
            warnings.append("部分文章标题的编号缺失或重复，文章改按标题识别（标题保留原编号）")

    articles = []
    for position, ((heading, body_lines, published_at), post_title, identity) in enumerate(zip(headed_bodies, titles, identities, strict=True)):
        title = (post_title.without_number if use_stated else heading) or UNTITLED
        if not heading:
            warnings.append(f"第 {position + 1} 篇文章没有标题，已命名为「{UNTITLED}」")
        if not body_lines:
            warnings.append(f"「{title}」没有正文，已标记为缺少全文")
        images = ImageCollector()
        body = "\n".join(images.rewrite(autolink_markdown(body_lines)))
        warnings.extend(images.warnings)
        articles.append(
            ParsedArticle(
                title=fit_title(title, ARTICLE_TITLE_MAX_CHARS, warnings),
                body_markdown=body,
                number=post_title.stated_number if use_stated else None,
                section=fit_title(post_title.section, SECTION_TITLE_MAX_CHARS, warnings),
                full_text_missing=not body_lines or is_excerpt(body),
                image_paths=tuple(images.paths),
                published_at=published_at,
                identity=identity,
            )
        )
    return articles
