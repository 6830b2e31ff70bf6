"""Readable, stable ASCII slugs for Chinese titles (拼音), so every URL is non-empty."""

from django.utils.text import slugify

MAX_SLUG_LENGTH = 60


def slug_for_title(title: str, *, fallback: str = "column") -> str:
    # Imported here, not at module level: pypinyin's phrase dictionary costs about 85 MB, which
    # only a process that names something new (an editor saving, an import) should pay.
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(title, style=Style.NORMAL, errors=lambda chars: [chars])
    slug = slugify(" ".join(syllables))[:MAX_SLUG_LENGTH].strip("-")
    return slug or fallback


def unique_slug(base: str, taken) -> str:
    """base, or base-2, base-3… whichever `taken(slug)` says is free."""
    candidate, counter = base, 2
    while taken(candidate):
        suffix = f"-{counter}"
        candidate = base[: MAX_SLUG_LENGTH - len(suffix)] + suffix
        counter += 1
    return candidate
