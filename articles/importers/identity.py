"""What identifies an imported article across re-imports of its source: never its position.

A later snapshot of a column page lists other posts in the same places, so a post is known by
what it states about itself: its number when the source numbers its posts consistently, a slug
its front matter gives, or else its title, normalized so that spacing, punctuation, width and
case do not make it another post. The import service prefixes the source ("<url>#<identity>").
"""

import unicodedata

# Numbers keep the form earlier imports stored ("…#010"), so their articles are found again.
NUMBER_WIDTH = 3
SLUG_PREFIX = "s:"
TITLE_PREFIX = "t:"
DUPLICATE_MARK = "~"


def number_identity(number: int) -> str:
    return f"{number:0{NUMBER_WIDTH}d}"


def slug_identity(slug: str) -> str:
    return SLUG_PREFIX + normalize_title(slug)


def title_identity(title: str) -> str:
    return TITLE_PREFIX + normalize_title(title)


def normalize_title(title: str) -> str:
    """Letters and digits of the title, full-width folded and case-folded: "AI 做视频，能干些啥？"
    and "ai做视频,能干些啥" are the same. A title of punctuation alone keeps its characters."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    kept = "".join(char for char in folded if unicodedata.category(char)[0] in "LN")
    return kept or "".join(folded.split())


def distinct(identities: list[str]) -> list[str]:
    """The identities with repeats told apart by their order among equals: "t:答疑", "t:答疑~2"."""
    seen: dict[str, int] = {}
    result = []
    for identity in identities:
        seen[identity] = seen.get(identity, 0) + 1
        result.append(identity if seen[identity] == 1 else f"{identity}{DUPLICATE_MARK}{seen[identity]}")
    return result
