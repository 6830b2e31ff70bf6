"""The lines a txt download site wraps around a book, which are not the book.

    本书来自www.cr173.com免费txt小说下载站                          an ad: an ad phrase and a site
    【更多精彩好书，更多原创手机电子书，请登陆奇书网--Www.Qisuu.Com】
    ------------用户上传之内容开始------------                      a marker no book text contains
    www.zxcs.me                                                     a site's address alone, near an end
    ★☆★☆★☆★☆★☆                                                      a separator, near an end

Conservative on purpose: a book that mentions a website ("Sora官方网址：https://openai.com/sora")
keeps that line, and so does an address alone in the middle of a book or one with a path (a
link to the book's own resources): sites sign with their home address, at the start or the end.
Pure: lines in, the kept lines and the dropped ones out.
"""

import re

# How far from either end of the book a lone address or separator is still the site's wrapping.
EDGE_LINES = 15

# Phrases only a download site writes, each enough on its own.
SITE_MARKERS = ("用户上传之内容", "本作品来自互联网", "内容版权归作者所有", "最有文艺气息的文学网站")
# Phrases a site's ad uses; with an address or a site's name on the same line they make it an ad.
# "下载" or "网站" inside a sentence is not enough: a book's preface says "配套资源可在官方网站下载".
AD_PHRASES = (
    "本书来自",
    "更多精校",
    "更多精彩",
    "更多好书",
    "更多txt",
    "更多小说",
    "更多电子书",
    "尽在",
    "请登陆",
    "免费txt",
    "txt小说",
    "小说下载",
    "电子书下载",
    "txt下载",
    "txt全集",
    "整理制作",
    "手机电子书",
)
SITE_HINTS = ("藏书", "书城", "本站", "下载站")
# A site's name ends its phrase: "尽在书包网", "请登陆奇书网--", "文学网站】".
SITE_NAME_RE = re.compile(r"网[站址]?(?![^\W_])")
# Common top-level domains of such sites, so that "Vue.js" or "socket.io" is not read as a site.
TOP_LEVEL_DOMAINS = "com|net|org|cn|cc|me|info|top|xyz|la|tw|hk|vip|club|tv|co"
HOST = rf"(?:[a-z0-9-]+\.)+(?:{TOP_LEVEL_DOMAINS})"
ADDRESS = rf"(?:https?://(?:[a-z0-9-]+\.)+[a-z]{{2,}}|(?:www\.)?{HOST})"
ADDRESS_RE = re.compile(rf"(?<![a-z0-9.@-]){ADDRESS}(?![a-z0-9-])", re.IGNORECASE)
# The address alone, perhaps in brackets or between dashes, ending at the host or a bare "/".
HOME_ADDRESS_LINE_RE = re.compile(rf"^[\W_]*{ADDRESS}/?[\W_]*$", re.IGNORECASE)
SEPARATOR_LINE_RE = re.compile(r"^[\s★☆=*\-—_~·•…#※◆◇■□●○◎+＝－＊～<>]{3,}$")


def strip_boilerplate(lines: list[str]) -> tuple[list[str], list[str]]:
    """The lines with the site's boilerplate blanked (so positions hold), and the dropped lines."""
    filled = [index for index, line in enumerate(lines) if line.strip()]
    near_an_end = set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])
    kept = list(lines)
    dropped = []
    for index in filled:
        line = lines[index].strip()
        if is_site_ad(line) or (index in near_an_end and is_site_wrapping(line)):
            kept[index] = ""
            dropped.append(line)
    if len(dropped) == len(filled):
        # Nothing but an address or an ad: that is what the upload is, not a book it wraps.
        return list(lines), []
    return kept, dropped


def is_site_ad(line: str) -> bool:
    folded = line.casefold()
    if any(marker in folded for marker in SITE_MARKERS):
        return True
    has_hint = ADDRESS_RE.search(line) or SITE_NAME_RE.search(line) or any(hint in folded for hint in SITE_HINTS)
    return bool(has_hint) and any(phrase in folded for phrase in AD_PHRASES)


def is_site_wrapping(line: str) -> bool:
    """A site's address alone on its line, or a row of decoration: only where the site puts them."""
    return bool(HOME_ADDRESS_LINE_RE.match(line) or SEPARATOR_LINE_RE.match(line))
