"""locale_overrides/: hand-kept corrections to allauth's and Django's Chinese, safe from makemessages."""

import gettext
import re

from django.conf import settings
from django.utils import translation

OVERRIDES = settings.BASE_DIR / "locale_overrides" / "zh_Hans" / "LC_MESSAGES"


def test_makemessages_keeps_writing_to_locale_not_to_the_overrides():
    # makemessages puts project-wide strings into the first LOCALE_PATHS entry.
    assert settings.LOCALE_PATHS[0] == settings.BASE_DIR / "locale"
    assert settings.BASE_DIR / "locale_overrides" in settings.LOCALE_PATHS


def test_the_committed_catalogue_is_compiled_from_the_current_po():
    po = (OVERRIDES / "django.po").read_text(encoding="utf-8")
    # Only single-line msgids are read here; they are most of the file and any stale .mo misses some.
    msgids = re.findall(r'^msgid "(.+)"$', po, re.MULTILINE)
    with open(OVERRIDES / "django.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog
    missing = [msgid for msgid in msgids if msgid.replace('\\"', '"') not in catalogue]
    assert msgids and missing == []


def test_overrides_win_over_allauth_and_django():
    with translation.override("zh-hans"):
        assert translation.gettext("Incorrect code.") == "验证码不正确。"
        assert translation.gettext(":") == "："
        assert translation.gettext("Successfully signed in as %(name)s.") == "已登录：%(name)s。"
