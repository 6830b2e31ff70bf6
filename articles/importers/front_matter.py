"""Front matter: what a Hexo, Jekyll or Hugo post states about itself above its text.

    ---                          +++                          {
    title: Sora 是什么           title = "Sora 是什么"           "title": "Sora 是什么",
    date: 2024-03-20 10:30       date = 2024-03-20T10:30:00Z    "tags": ["AI"]
    tags: [AI, 视频]              tags = ["AI"]                 }
    ---                          +++

YAML between "---" lines, TOML between "+++" lines, or a JSON object opening the file (Hugo).
Besides the blogs' own keys, `access: free` or `access: members` says whether the article is free
to read (the portal's own export writes it, so an exported column imports back as it was).
A BOM or blank lines may come first. The block is never part of the body, also when it cannot
be read: then it is dropped with a warning. A block that is not a mapping of keys at all
("---", a paragraph, "---") is Markdown, a rule around a paragraph, and stays as it is.

Pure: text in, a FrontMatter out. Handlers follow python-frontmatter's BaseHandler interface
(detect, split, load); its own TOML handler needs the unmaintained toml package, so TOML is read
with the standard library's tomllib.
"""

import json
import posixpath
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler

from articles.importers.base import filename_stem
from articles.importers.dates import DATE_TEXT, TIME_TEXT, date_of
from articles.importers.markdown_source import collapse_spaces

# django-taggit's Tag.name column.
TAG_MAX_CHARS = 100
# "2024-03-20 10:30:00 +0800" (Hexo, Jekyll), "2024-03-20T10:30:00.5Z"; YAML reads neither zone form.
STATED_DATE_RE = re.compile(
    r"^\s*" + DATE_TEXT + TIME_TEXT + r"(?:\.[0-9]+)?\s*(?P<zone>Z|(?P<sign>[+-])(?P<hours>[0-9]{1,2})(?::?(?P<minutes>[0-9]{2}))?)?\s*$",
    re.IGNORECASE,
)
# Jekyll names a post "_posts/2024-03-20-slug.md" and takes its date from there.
JEKYLL_NAME_RE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})-")
LEADING_BLANK_LINES_RE = re.compile(r"\ufeff?(?:[ \t]*\n)*")
LIST_SEPARATORS_RE = re.compile(r"[,，、;；]")

TITLE_KEYS = ("title",)
# Hugo posts may state only publishDate; Astro's and others' feeds call it pubDate.
DATE_KEYS = ("date", "publishDate", "pubDate")
TAG_KEYS = ("tags", "tag")
CATEGORY_KEYS = ("categories", "category")
DESCRIPTION_KEYS = ("summary", "description", "excerpt")
SLUG_KEYS = ("slug",)
PERMALINK_KEYS = ("permalink",)
DRAFT_KEYS = ("draft", "published")
ACCESS_KEYS = ("access",)
ACCESS_VALUES = ("free", "members")  # Article.Access
# Keys blogs commonly set that say nothing the import uses; a block of these alone is still
# front matter. A block with none of the keys here is more likely text between two rules, and
# the editor is told it was left out.
OTHER_KNOWN_KEYS = tuple(
    "layout author authors comments toc lastmod updated weight aliases cover image thumbnail keywords type id sticky top mathjax lang".split()
)
KNOWN_KEYS = frozenset(
    TITLE_KEYS + DATE_KEYS + TAG_KEYS + CATEGORY_KEYS + DESCRIPTION_KEYS + SLUG_KEYS + PERMALINK_KEYS + DRAFT_KEYS + ACCESS_KEYS + OTHER_KNOWN_KEYS
)


class FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML's safe loader, but a timestamp stays text for date_value: YAML would raise on
    "2024-02-30" and lose the whole block for one mistyped date."""


FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


class YamlFrontMatter(YAMLHandler):
    label = "YAML"
    errors = (yaml.YAMLError, RecursionError)
    # In a block that failed to parse, lines that say it was meant as YAML: "key: …", "- item",
    # an indented continuation or a comment. A paragraph of prose is none of these.
    key_line = re.compile(r"^(?:[\"']?[\w.-]+[\"']?[ \t]*:(?:[ \t]|$)|-[ \t]|-$|[ \t]|#)")

    def load(self, fm: str) -> object:
        return super().load(fm, Loader=FrontMatterLoader)

    def describe(self, error: Exception) -> str:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        return f"{problem}，元数据第 {mark.line} 行" if mark else problem


class TomlFrontMatter(BaseHandler):
    label = "TOML"
    FM_BOUNDARY = re.compile(r"^\+{3,}[ \t]*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"
    errors = (tomllib.TOMLDecodeError,)
    key_line = re.compile(r"^(?:[\"']?[\w.-]+[\"']?[ \t]*=|[\[\]\"'{}#]|[ \t])")

    def load(self, fm: str) -> dict:
        return tomllib.loads(fm)

    def describe(self, error: Exception) -> str:
        return str(error)


class JsonFrontMatter(BaseHandler):
    """Hugo's JSON front matter: an object at the very top, its closing brace ending a line."""

    label = "JSON"
    FM_BOUNDARY = re.compile(r"^\{")
    START_DELIMITER = END_DELIMITER = ""
    errors = (json.JSONDecodeError,)
    key_line = re.compile(r"^(?:\{[ \t]*(?:$|\")|\}|[ \t]|\"[^\"\n]*\"[ \t]*:)")
    CLOSING_LINE = re.compile(r"^\}[ \t]*$", re.MULTILINE)

    def split(self, text: str) -> tuple[str, str]:
        try:
            _, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError:
            # An object that does not parse ends, as Hugo writes it, at a "}" alone on its line;
            # load() then reports what is wrong with it.
            closing = self.CLOSING_LINE.search(text)
            if not closing:
                raise ValueError("no closing brace") from None
            end = closing.end()
        if text[end:].split("\n", 1)[0].strip():
            raise ValueError("text follows the object on its line")
        return text[:end], text[end:]

    def load(self, fm: str) -> dict:
        return json.loads(fm)

    def describe(self, error: Exception) -> str:
        return f"{error.msg}，第 {error.lineno} 行"


HANDLERS = (YamlFrontMatter(), TomlFrontMatter(), JsonFrontMatter())


@dataclass(frozen=True)
class FrontMatter:
    """What the front matter states; every field empty when the document has none."""

    body: str  # the document without its front matter
    title: str = ""
    published_at: date | datetime | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # in order; a hierarchy's top comes first
    description: str = ""
    slug: str = ""
    draft: bool = False
    access: str = ""  # "free" or "members" when stated; "": the import decides
    warnings: tuple[str, ...] = ()


def read_front_matter(text: str, *, filename: str = "") -> FrontMatter:
    """The document's front matter and the body below it (the text unchanged when it has none)."""
    head = text[LEADING_BLANK_LINES_RE.match(text).end() :]
    for handler in HANDLERS:
        if not handler.detect(head):
            continue
        try:
            block, body = handler.split(head)
        except ValueError:
            return FrontMatter(body=text)  # no closing fence: a rule opening the document
        body = body.removeprefix("\n")  # the closing fence's line break
        try:
            metadata = handler.load(block)
        except handler.errors as error:
            if not looks_meant_as_metadata(block, handler):
                return FrontMatter(body=text)
            problem = handler.describe(error)
            warning = f"文档开头的 {handler.label} 元数据无法读取（{problem}），已整块略去，未写入正文"
            return FrontMatter(body=body, published_at=jekyll_name_date(filename), warnings=(warning,))
        if metadata is None and not block.strip():
            metadata = {}
        if not isinstance(metadata, dict):
            return FrontMatter(body=text)
        return stated_by(metadata, body=body, filename=filename, label=handler.label)
    return FrontMatter(body=text)


def looks_meant_as_metadata(block: str, handler) -> bool:
    lines = [line for line in block.split("\n") if line.strip()]
    return bool(lines) and all(handler.key_line.match(line) for line in lines)


def stated_by(metadata: dict, *, body: str, filename: str, label: str) -> FrontMatter:
    warnings: list[str] = []
    keys = [str(key) for key in metadata]
    if keys and not KNOWN_KEYS.intersection(keys):
        warnings.append(f"文档开头的 {label} 元数据里没有可用的字段（{'、'.join(keys[:5])}），已略去")
    published_at = None
    stated_date = first_value(metadata, DATE_KEYS)
    if stated_date is not None:
        published_at = date_value(stated_date)
        if published_at is None:
            warnings.append(f"元数据里的日期无法识别，未使用：{str(stated_date)[:40]}")
    else:
        published_at = jekyll_name_date(filename)
    tags = []
    for tag in names(first_value(metadata, TAG_KEYS)):
        if len(tag) > TAG_MAX_CHARS:
            warnings.append(f"标签超过 {TAG_MAX_CHARS} 个字，未导入：{tag[:20]}…")
        else:
            tags.append(tag)
    access = text_value(first_value(metadata, ACCESS_KEYS)).lower()
    if access and access not in ACCESS_VALUES:
        warnings.append(f"元数据里的 access 只能是 free 或 members，未使用：{access[:20]}")
        access = ""
    return FrontMatter(
        body=body,
        title=text_value(first_value(metadata, TITLE_KEYS)),
        published_at=published_at,
        tags=tuple(dict.fromkeys(tags)),
        categories=tuple(dict.fromkeys(names(first_value(metadata, CATEGORY_KEYS)))),
        description=text_value(first_value(metadata, DESCRIPTION_KEYS), keep_lines=True),
        slug=slug_of(metadata),
        draft=is_draft(metadata),
        access=access,
        warnings=tuple(warnings),
    )


def first_value(metadata: dict, keys: tuple[str, ...]):
    """The value of the first key present with something in it."""
    for key in keys:
        value = metadata.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def text_value(value, *, keep_lines: bool = False) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    text = str(value).strip()
    return text if keep_lines else collapse_spaces(text)


def names(value) -> list[str]:
    """Tag or category names: a list (Hexo's [[A, B], [C]] flattened), or "a, b" or "a b"."""
    if value is None or isinstance(value, dict):
        return []
    if isinstance(value, str):
        parts = LIST_SEPARATORS_RE.split(value) if LIST_SEPARATORS_RE.search(value) else value.split()
    elif isinstance(value, list):
        # One level of nesting only: YAML aliases can make deeper lists exponentially long.
        parts = [part for item in value for part in (item if isinstance(item, list) else [item])]
    else:
        parts = [value]
    found = (collapse_spaces(str(part)) for part in parts if not isinstance(part, (dict, list)))
    return [name for name in found if name]


def date_value(value) -> date | datetime | None:
    if isinstance(value, date):  # TOML's dates and datetimes; a datetime is a date too
        return value
    match = STATED_DATE_RE.match(value) if isinstance(value, str) else None
    found = date_of(match) if match else None
    if not isinstance(found, datetime) or not match.group("zone"):
        return found
    if match.group("zone").upper() == "Z":
        return found.replace(tzinfo=UTC)
    offset = timedelta(hours=int(match.group("hours")), minutes=int(match.group("minutes") or 0))
    if offset >= timedelta(hours=24):
        return None
    return found.replace(tzinfo=timezone(-offset if match.group("sign") == "-" else offset))


def jekyll_name_date(filename: str) -> date | None:
    match = JEKYLL_NAME_RE.match(filename_stem(filename))
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def slug_of(metadata: dict) -> str:
    slug = text_value(first_value(metadata, SLUG_KEYS))
    if slug:
        return slug
    permalink = text_value(first_value(metadata, PERMALINK_KEYS))
    # "/2024/03/sora/" and "/posts/sora.html" name the post "sora"; ":title" is a pattern, not a name.
    basename = posixpath.splitext(permalink.rstrip("/").rsplit("/", 1)[-1])[0]
    return "" if ":" in basename else basename


def is_draft(metadata: dict) -> bool:
    return truthy(metadata.get("draft")) is True or truthy(metadata.get("published")) is False


def truthy(value) -> bool | None:
    """YAML, TOML and JSON booleans, and the strings people quote them as; None: not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "yes": True, "false": False, "no": False}.get(value.strip().lower())
    return None
