"""The translation catalogues: Chinese is complete and compiled, English is selectable, placeholders survive."""

import gettext
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from articles.models import Article, Column
from members.models import Membership
from tests.factories import make_article, make_column

LOCALE_DIR = settings.BASE_DIR / "locale"
CHINESE_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
CHINESE_MO = CHINESE_PO.with_suffix(".mo")
ENGLISH_MO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.mo"

# Python-format placeholders and HTML markup (such as <!-- more -->) must come through translation unchanged.
TOKEN_RE = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}|<[^>]+>")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    msgid: str = ""
    context: str | None = None
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self):
        return self.msgid == ""


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match.group(1), match.group(0)), text.strip()[1:-1])


def read_po(path) -> list[Entry]:
    """A small parser for what makemessages writes: flags, msgctxt, msgid, msgid_plural, msgstr and msgstr[n]."""
    entries, entry, target = [], Entry(), None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry.msgstrs:
                entries.append(entry)
                entry, target = Entry(), None
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith(("msgid ", "msgctxt ")) and entry.msgstrs:
            entries.append(entry)
            entry = Entry()
        keyword, _, value = line.partition(" ")
        if keyword == "msgctxt":
            entry.context, target = unquote(value), "context"
        elif keyword == "msgid":
            entry.msgid, entry.line, target = unquote(value), number, "msgid"
        elif keyword == "msgid_plural":
            entry.msgid_plural, target = unquote(value), "msgid_plural"
        elif keyword.startswith("msgstr"):
            entry.msgstrs.append(unquote(value))
            target = "msgstr"
        elif line.startswith('"'):
            if target == "msgstr":
                entry.msgstrs[-1] += unquote(line)
            else:
                setattr(entry, target, getattr(entry, target) + unquote(line))
        else:
            raise ValueError(f"{path}:{number}: cannot read {raw!r}")
    if entry.msgstrs:
        entries.append(entry)
    return entries


def chinese_messages() -> list[Entry]:
    return [entry for entry in read_po(CHINESE_PO) if not entry.is_header]


def describe(entry: Entry) -> str:
    return f"django.po line {entry.line}: {entry.msgid!r}"


def test_parser_reads_every_message_of_the_chinese_catalogue():
    text = CHINESE_PO.read_text(encoding="utf-8")
    messages = chinese_messages()
    assert len(messages) == len(re.findall(r"^msgid ", text, re.MULTILINE)) - 1
    assert len(messages) > 50


def test_every_chinese_message_is_translated():
    untranslated = [describe(entry) for entry in chinese_messages() if not entry.msgstrs or not all(entry.msgstrs)]
    assert untranslated == []


def test_chinese_plurals_have_exactly_one_form():
    # zh_Hans has nplurals=1; a second msgstr[1] makes msgfmt -c refuse the file.
    header = next(entry for entry in read_po(CHINESE_PO) if entry.is_header)
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstrs[0]
    wrong = [describe(entry) for entry in chinese_messages() if entry.msgid_plural is not None and len(entry.msgstrs) != 1]
    assert wrong == []


def test_no_chinese_entry_is_fuzzy():
    # msgfmt leaves fuzzy entries out of the .mo, so a fuzzy translation silently shows English.
    fuzzy = [describe(entry) if not entry.is_header else "header" for entry in read_po(CHINESE_PO) if "fuzzy" in entry.flags]
    assert fuzzy == []


def test_placeholders_and_markup_survive_translation():
    broken = []
    for entry in chinese_messages():
        expected = Counter(TOKEN_RE.findall(entry.msgid))
        for form in entry.msgstrs:
            if Counter(TOKEN_RE.findall(form)) != expected:
                broken.append(f"{describe(entry)} -> {form!r}")
    assert broken == []


def test_committed_mo_matches_the_po():
    """Loads the committed .mo the way Django does (GNU gettext format); a stale .mo fails here."""
    with CHINESE_MO.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = []
    for entry in chinese_messages():
        if entry.context is not None:
            found = [catalogue.pgettext(entry.context, entry.msgid)]
        elif entry.msgid_plural is None:
            found = [catalogue.gettext(entry.msgid)]
        else:
            found = [catalogue.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2, 5)]
        if any(text != entry.msgstrs[0] for text in found):
            stale.append(f"{describe(entry)}: .mo has {found[0]!r}, .po has {entry.msgstrs[0]!r}")
    assert stale == [], "Run `make messages` (compilemessages) and commit the .mo files."


def test_english_catalogue_is_compiled_and_selectable():
    with ENGLISH_MO.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    assert catalogue.info()["language"] == "en"
    assert translation.check_for_language("en")
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


def test_model_names_in_the_admin_are_chinese():
    with translation.override("zh-hans"):
        assert str(Column._meta.verbose_name) == "专栏"
        assert str(Article._meta.verbose_name) == "文章"
        assert str(Membership.Source.CODE.label) == "兑换码"
    with translation.override("en"):
        assert str(Column._meta.verbose_name) == "column"


@pytest.fixture
def home_page_with_a_column(db, settings):
    # The default site name is 专栏 too; a neutral one keeps it from answering for the catalogue.
    settings.SITE_NAME = "Portal"
    column = make_column(title="提示词周刊", stated_reader_count=120)
    make_article(column)
    make_article(column)
    return reverse("articles:home")


def test_home_page_is_chinese_by_default(client, home_page_with_a_column):
    html = client.get(home_page_with_a_column).content.decode()
    assert '<html lang="zh-hans">' in html
    assert '<h1 class="page-title">全部专栏</h1>' in html
    for text in ("登录", "注册", "120 人订阅", "2 篇"):
        assert text in html
    assert "Log in" not in html


def test_home_page_is_english_for_an_english_browser(client, home_page_with_a_column):
    html = client.get(home_page_with_a_column, headers={"accept-language": "en"}).content.decode()
    assert_english(html)


def test_home_page_is_english_with_the_language_cookie(client, home_page_with_a_column):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert_english(client.get(home_page_with_a_column).content.decode())


def test_language_switcher_turns_the_site_english(client, home_page_with_a_column):
    response = client.post(reverse("set_language"), {"language": "en", "next": home_page_with_a_column})
    assert response.status_code == 302
    assert_english(client.get(home_page_with_a_column).content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "/search/?q=%E6%8F%90%E7%A4%BA%E8%AF%8D&page=1",  # as browsers send it
        "/search/?q=提示词&page=1",  # raw UTF-8, as WeChat's browser or curl may send it
    ],
)
@pytest.mark.django_db
def test_switching_language_lands_on_the_same_search(client, path):
    page = client.get(path).content.decode()
    next_url = html.unescape(re.search(r'<input name="next" type="hidden" value="([^"]*)">', page).group(1))
    response = client.post(reverse("set_language"), {"language": "en", "next": next_url})
    assert response.status_code == 302
    landing = urlsplit(response["Location"])
    assert landing.path == "/search/" and parse_qs(landing.query) == {"q": ["提示词"], "page": ["1"]}
    assert client.get(response["Location"]).context["query"].text == "提示词"


def assert_english(html):
    assert '<html lang="en">' in html
    assert '<h1 class="page-title">All columns</h1>' in html
    for text in ("Log in", "Sign up", "120 readers", "2 articles"):
        assert text in html
    for text in ("专栏", "登录", "人订阅"):
        assert text not in html
