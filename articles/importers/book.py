"""A book as plain text (typically copied out of a PDF): parts, chapters, sections, figures, callouts.

    第1篇                                  a part; its title is on the next non-empty line
    技术简史
    第 1 章 10 点知识， 快速了解 Sora       a chapter: one article by default
    1.1 认识什么是 Sora                    a numbered section: a heading
    图 1-1 Sora 模型生成的视频内容          a figure caption: a placeholder (the text has no images)
    专家提醒 / 学习提示 / ▶ Sora 案例生成 ◀  a callout: an admonition holding the paragraphs after it
    步骤 01 输入的提示词：                  a step
    本章小结 / 课后习题                     summary and exercises, the exercises as a numbered list

Each non-empty line is a paragraph, and all text is escaped: plain text stays plain text.
A book from a download site opens with its title (《书名》) and is wrapped in the site's ads,
which are dropped (boilerplate.py); a 出品时间-style line near the top dates every chapter.
"""

import re
from dataclasses import dataclass, field, replace
from itertools import pairwise

from articles.importers.base import ARTICLE_TITLE_MAX_CHARS, SECTION_TITLE_MAX_CHARS, UNTITLED, ParsedArticle, ParsedDocument, filename_stem, fit_title
from articles.importers.boilerplate import ADDRESS_RE, strip_boilerplate
from articles.importers.book_markdown import LIST_ITEM_RE, BodyWriter
from articles.importers.dates import LABEL_RE, bare_date, labelled_date
from articles.importers.identity import distinct, title_identity
from articles.importers.markdown_source import collapse_spaces
from articles.importers.numerals import CHINESE_NUMERAL_CHARS, parse_number

NUMBER = rf"([0-9]{{1,3}}|[{CHINESE_NUMERAL_CHARS}]{{1,4}})"
PART_RE = re.compile(rf"^第\s*{NUMBER}\s*[篇部](?:[\s:：]+(.*))?$")
CHAPTER_RE = re.compile(rf"^第\s*{NUMBER}\s*章(?:[\s:：]+(.*))?$")
SECTION_RE = re.compile(r"^([0-9]{1,2})((?:\.[0-9]{1,2}){1,3})\s+(\S.*)$")
FIGURE_RE = re.compile(r"^图\s*[0-9]{1,2}\s*[-－–—.]\s*[0-9]{1,3}(?:\s+(.*))?$")
STEP_RE = re.compile(r"^(步骤\s*([0-9]{1,3}))\s*(.*)$")
CASE_OPENERS = "▶►▷"
CASE_CLOSERS = "◀◄◁"
SENTENCE_END_RE = re.compile(r"[。！？；]")
# A figure caption is short; "图 1-4 所示为…" and "图 1-5 中可以看到…" are sentences about the figure.
CAPTION_MAX_CHARS = 60
NOT_A_CAPTION_RE = re.compile(r"^(?:所示|中|是|为|和|与|及|、|，)")
HEADING_MAX_CHARS = 60
PART_TITLE_MAX_CHARS = 40

# Callout names, with optional decoration ("📢 专家提醒", "【学习提示】"), and the admonition type each becomes.
CALLOUT_TYPES = {"学习提示": "note", "知识拓展": "note", "专家提醒": "tip", "温馨提示": "tip", "小贴士": "tip", "特别提醒": "warning", "注意事项": "warning"}
CALLOUT_RE = re.compile(r"^[^\w\s]{0,3}\s*(" + "|".join(CALLOUT_TYPES) + r")\s*[^\w\s]{0,3}$")
SUMMARY_TITLES = ("本章小结",)
EXERCISE_TITLES = ("课后习题", "本章习题", "课后练习")
FRONT_MATTER_TITLE = "前言"

# "《Sora 从入门到精通》", "书名：《三体》", "《三体》 作者：刘慈欣": the book names itself in its first lines.
# What follows the 》 must not continue a sentence ("《三体》是一部科幻小说" is not a title line).
TITLE_LINE_RE = re.compile(r"^(?:书名\s*[:：]\s*)?《(?P<title>[^《》]{1,60})》(?P<rest>(?:[\s（(【\[—\-/|·,，]|作者|著).*)?$")
TITLE_WITHIN_LINES = 10
BOOK_TITLE_MAX_CHARS = 40
# Lines near the top that name something other than the book: a front-matter heading or a label.
NOT_A_TITLE = {"前言", "序", "序言", "自序", "引言", "导读", "楔子", "目录", "简介", "内容简介", "版权信息"}
META_LINE_RE = re.compile(r"^(?:作者|著者|译者|编著|主编|出版社?|书号|ISBN|版次|定价)\s*[:：]", re.IGNORECASE)


@dataclass(frozen=True)
class StatedTitle:
    title: str
    line_index: int
    rest: str  # what the title line holds besides the title ("作者：…"), kept as a paragraph


@dataclass
class Token:
    kind: str  # text, part, chapter, section, figure, callout, step, table
    text: str = ""
    label: str = ""  # steps: "步骤 01" as the book writes it
    number: int | None = None
    depth: int = 0  # sections: 1 for "1.1", 2 for "1.1.1"
    callout_type: str = ""
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Chapter:
    title: str
    stated_number: int | None
    section: str
    tokens: list[Token]


def parse(text: str, *, filename: str, split: str) -> ParsedDocument:
    warnings: list[str] = []
    lines, dropped = strip_boilerplate(text.split("\n"))
    stated = stated_title(lines)
    if stated:
        lines[stated.line_index] = stated.rest
    tokens = tokenize(lines)
    chapters = [token for token in tokens if token.kind == "chapter"]
    title = (stated.title if stated else "") or filename_stem(filename) or (chapters[0].text if chapters else "") or first_text(tokens) or UNTITLED

    if split == "chapter" and chapters:
        articles = chapter_articles(tokens, warnings)
    else:
        if split == "chapter":
            warnings.append("没有找到“第 N 章”这样的章标题，整本作为一篇文章")
        has_parts = any(token.kind == "part" for token in tokens)
        body = render(tokens, part_level=2, chapter_level=3 if has_parts else 2)
        articles = [book_article(title, body, None, "", warnings)]
    published_at = labelled_date(front_lines(lines))
    identities = distinct([title_identity(article.title) for article in articles])
    articles = [replace(article, identity=identity, published_at=published_at) for article, identity in zip(articles, identities, strict=True)]
    return ParsedDocument(
        format="book", title=title, source_url="", column=None, articles=tuple(articles), warnings=tuple(warnings), dropped_lines=tuple(dropped)
    )


def stated_title(lines: list[str]) -> StatedTitle | None:
    """The title the book states: a 《书名》 line among its first lines, else a first line that reads
    as a title. None for a single line: that line is the text, not its title."""
    filled = [(index, line.strip()) for index, line in enumerate(lines) if line.strip()]
    if len(filled) < 2:
        return None
    for index, line in filled[:TITLE_WITHIN_LINES]:
        match = TITLE_LINE_RE.match(line)
        rest = (match.group("rest") or "") if match else ""
        if match and match.group("title").strip() and not SENTENCE_END_RE.search(rest):
            return StatedTitle(collapse_spaces(match.group("title")), index, rest.strip())
    index, line = filled[0]
    return StatedTitle(collapse_spaces(line), index, "") if is_title_like(line) else None


def front_lines(lines: list[str]) -> list[str]:
    """The lines before the first part or chapter, where a book states its date: a "发布时间：…"
    line inside a chapter about a product dates the product, not the book."""
    for index, line in enumerate(lines):
        if PART_RE.match(line.strip()) or CHAPTER_RE.match(line.strip()):
            return lines[:index]
    return lines


def is_title_like(line: str) -> bool:
    """Short text that is not structure, a label, a date, a list item or an address."""
    return (
        len(line) <= BOOK_TITLE_MAX_CHARS
        and any(char.isalpha() for char in line)
        and is_plain_short_line(line)
        and line not in NOT_A_TITLE
        and not META_LINE_RE.match(line)
        and not LABEL_RE.match(line)
        and bare_date(line) is None
        and not LIST_ITEM_RE.match(line)
        and not ADDRESS_RE.search(line)
    )


def first_text(tokens: list[Token]) -> str:
    return next((token.text for token in tokens if token.kind == "text"), "")


def book_article(title: str, body: str, number: int | None, section: str, warnings: list[str]) -> ParsedArticle:
    if not body:
        warnings.append(f"「{title}」没有正文，已标记为缺少全文")
    return ParsedArticle(
        title=fit_title(title, ARTICLE_TITLE_MAX_CHARS, warnings),
        body_markdown=body,
        number=number,
        section=fit_title(section, SECTION_TITLE_MAX_CHARS, warnings),
        full_text_missing=not body,
    )


def tokenize(lines: list[str]) -> list[Token]:
    """The book as a list of tokens, one per non-empty line (a part or chapter may take two)."""
    tokens: list[Token] = []
    chapter_number = None
    part_since_chapter = False
    index = 0
    while index < len(lines):
        raw = lines[index]
        line = raw.strip()
        index += 1
        if not line:
            continue
        # Two or more lines with tabs between words are a table; leading tabs are empty cells.
        if "\t" in line and index < len(lines) and "\t" in lines[index].strip():
            rows = [raw]
            while index < len(lines) and "\t" in lines[index].strip():
                rows.append(lines[index])
                index += 1
            tokens.append(Token("table", rows=[[cell.strip() for cell in row.split("\t")] for row in rows]))
            continue

        part = PART_RE.match(line)
        chapter = CHAPTER_RE.match(line)
        if part and is_heading_text(part.group(2) or ""):
            name, index = name_with_title_below(line_prefix(line, part), part.group(2), lines, index)
            tokens.append(Token("part", text=name))
            part_since_chapter = True
        elif (
            chapter
            and is_heading_text(chapter.group(2) or "")
            and (
                # A chapter number that goes backwards is a cross-reference, unless a new part restarted the count.
                chapter_number is None or part_since_chapter or parse_number(chapter.group(1)) > chapter_number
            )
        ):
            chapter_number = parse_number(chapter.group(1))
            name, index = name_with_title_below(line_prefix(line, chapter), chapter.group(2), lines, index)
            tokens.append(Token("chapter", text=name, number=chapter_number))
            part_since_chapter = False
        else:
            tokens.append(classify_line(line, chapter_number))
    return tokens


def line_prefix(line: str, match: re.Match) -> str:
    """The line up to where its title starts: "第 1 章" from "第 1 章 10 点知识"."""
    title_start = match.start(2) if match.group(2) else len(line)
    return collapse_spaces(line[:title_start].rstrip(" :：\t"))


def name_with_title_below(prefix: str, title: str | None, lines: list[str], index: int) -> tuple[str, int]:
    """A part or chapter's full name, taking its title from the next non-empty line when its own line has none."""
    if title:
        return tidy_title(f"{prefix} {title}"), index
    following = index
    while following < len(lines) and not lines[following].strip():
        following += 1
    if following < len(lines):
        candidate = lines[following].strip()
        if len(candidate) <= PART_TITLE_MAX_CHARS and is_plain_short_line(candidate):
            return tidy_title(f"{prefix} {candidate}"), following + 1
    return prefix, index


def is_plain_short_line(line: str) -> bool:
    """Whether a line can be the title of the part or chapter above it: short text, not structure."""
    return is_heading_text(line) and not PART_RE.match(line) and not CHAPTER_RE.match(line) and "\t" not in line and classify_line(line, None).kind == "text"


def is_heading_text(text: str) -> bool:
    return len(text) <= HEADING_MAX_CHARS and not SENTENCE_END_RE.search(text)


def tidy_title(text: str) -> str:
    """Single spaces, and none after full-width punctuation: "10 点知识， 快速了解" → "10 点知识，快速了解"."""
    return re.sub(r"([，。：；、！？）」》])\s+", r"\1", collapse_spaces(text))


def classify_line(line: str, chapter_number: int | None) -> Token:
    section = SECTION_RE.match(line)
    if section and is_heading_text(section.group(3)) and (chapter_number is None or int(section.group(1)) == chapter_number):
        return Token("section", text=tidy_title(line), depth=section.group(2).count("."))
    figure = FIGURE_RE.match(line)
    caption = (figure.group(1) or "") if figure else ""
    if figure and len(caption) <= CAPTION_MAX_CHARS and not NOT_A_CAPTION_RE.match(caption) and "。" not in caption:
        return Token("figure", text=collapse_spaces(line))
    callout = CALLOUT_RE.match(line)
    if callout:
        return Token("callout", text=callout.group(1), callout_type=CALLOUT_TYPES[callout.group(1)])
    if len(line) > 2 and line[0] in CASE_OPENERS and line[-1] in CASE_CLOSERS and is_heading_text(line):
        return Token("callout", text=line[1:-1].strip(), callout_type="example")
    if line in SUMMARY_TITLES:
        return Token("callout", text=line, callout_type="summary")
    if line in EXERCISE_TITLES:
        return Token("callout", text=line, callout_type="exercise")
    step = STEP_RE.match(line)
    if step:
        return Token("step", text=step.group(3), label=collapse_spaces(step.group(1)))
    return Token("text", text=line)


def chapter_articles(tokens: list[Token], warnings: list[str]) -> list[ParsedArticle]:
    """One article per chapter, the part as its section; text before the first chapter is a preface.

    Text between a part's title and its first chapter opens that chapter. A part without any
    chapter keeps its name as a heading, so nothing of it is lost.
    """
    front: list[Token] = []
    chapters: list[Chapter] = []
    pending: list[Token] = []
    section = ""
    for token in tokens:
        if token.kind == "part":
            section = token.text
            pending.append(token)
        elif token.kind == "chapter":
            # The part a chapter opens is its section; an earlier part without chapters stays a heading.
            part_positions = [position for position, held in enumerate(pending) if held.kind == "part"]
            if part_positions:
                del pending[part_positions[-1]]
            chapters.append(Chapter(token.text, token.number, section, pending))
            pending = []
        elif pending:
            pending.append(token)
        elif chapters:
            chapters[-1].tokens.append(token)
        else:
            front.append(token)
    if pending:
        (chapters[-1].tokens if chapters else front).extend(pending)

    stated = [chapter.stated_number for chapter in chapters]
    use_stated = all(b > a for a, b in pairwise(stated))
    if not use_stated:
        warnings.append("章的编号不是递增的（可能每篇重新编号），文章按出现顺序排列，不使用章的编号")
    articles = []
    if front:
        warnings.append(f"第一章之前的内容单独作为一篇文章「{FRONT_MATTER_TITLE}」")
        body = render(front, part_level=2, chapter_level=2)
        articles.append(book_article(FRONT_MATTER_TITLE, body, None, "", warnings))
    for chapter in chapters:
        number = chapter.stated_number if use_stated else None
        body = render(chapter.tokens, part_level=2, chapter_level=1)
        articles.append(book_article(chapter.title, body, number, chapter.section, warnings))
    return articles


def render(tokens: list[Token], *, part_level: int, chapter_level: int) -> str:
    writer = BodyWriter()
    for token in tokens:
        if token.kind == "part":
            writer.heading(part_level, token.text)
        elif token.kind == "chapter":
            writer.heading(chapter_level, token.text)
        elif token.kind == "section":
            writer.heading(min(chapter_level + token.depth, 6), token.text)
        elif token.kind == "figure":
            writer.figure(token.text)
        elif token.kind == "table":
            writer.table(token.rows)
        elif token.kind == "callout":
            writer.open_callout(token.callout_type, token.text)
        elif token.kind == "step":
            writer.step(token.label, token.text)
        else:
            writer.text(token.text)
    return writer.markdown()
