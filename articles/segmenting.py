"""Chinese text to search tokens, with jieba's dictionary. Pure functions: text in, tokens out.

Chinese has no spaces, so a document is stored as space-separated tokens that PostgreSQL's
'simple' text search configuration and SQLite's FTS5 tokenizer can index as they are.

- A document is indexed in jieba's full mode: every dictionary word found at any position, plus
  every Han character on its own, plus Latin words and numbers. So 提示词 in a text yields
  提示, 提示词, 提, 示 and 词, and any dictionary word a reader types is found wherever the text
  contains it (大模型 is found by 模型). jieba's own full mode does this with a slower scan;
  this one asks the dictionary for the words starting at each position, which a large import
  needs (about ten times faster than cut_for_search).
- A query is segmented in jieba's precise mode without HMM, so each of its tokens is a
  dictionary word or a single character, both of which the document side always emits.

Both are jieba's results from jieba's dictionary, but jieba itself is never imported: its
dictionary is a Python dict of about 70 MB in every process that segments, where
articles.dictionary keeps the same words and frequencies in about 3 MB.

Both sides are normalised the same way: NFKC (full-width letters and digits to half-width,
compatibility ideographs to unified ones) and case folding.
"""

import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from math import log

from articles.dictionary import BYTES_PER_CHARACTER, Dictionary, load

# Words jieba's general dictionary lacks but readers of these columns type; without them
# 提示词 would only be found as 提示 and 词 separately.
DOMAIN_WORDS = (
    "提示词",
    "大模型",
    "智能体",
    "工作流",
    "知识库",
    "文生图",
    "文生视频",
    "图生视频",
    "分镜",
    "分镜脚本",
    "短视频",
    "私域",
    "私域流量",
    "副业",
    "变现",
    "小红书",
    "公众号",
    "视频号",
    "自媒体",
    "出海",
    "独立开发",
    "微调",
    "向量数据库",
    "多模态",
    "开源模型",
    "算力",
    "爆款",
    "种子用户",
    "复盘",
)

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Han run, or a run of other letters and digits (Latin words, numbers, kana, hangul).
RUN_RE = re.compile(rf"[{HAN}]+|[^\W_{HAN}]+")
HAN_START = re.compile(rf"[{HAN}]")
# jieba.cut segments runs of these characters (its re_han_default, less the Latin letters, digits and
# signs a Han run never holds) and gives every other character on its own.
JIEBA_HAN_RE = re.compile("([\u4e00-\u9fd5]+)")
# Longer runs of letters are hashes, base64 and the like; nobody searches for them.
MAX_TOKEN_CHARS = 32
# A document is indexed up to this many characters of text: enough for any article, and it
# keeps a PostgreSQL tsvector well under its 1 MB limit.
MAX_INDEXED_CHARS = 60_000
MAX_QUERY_CHARS = 100
MAX_QUERY_TERMS = 8
# Function words a reader types in a natural question; requiring them would only lose results.
QUERY_STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 吗 呢 吧 啊 呀 之 把 被 让 给 对 从 向 要 会 能 该 这 那 个 "
    "如何 怎么 怎样 怎么样 什么 为什么 哪些 哪个 一个 一些 我 你 他 她 我们 你们 可以 有没有 the a an of to and or in on for is".split()
)

_loaded = threading.Lock()
_dictionary: Dictionary | None = None


def dictionary() -> Dictionary:
    """jieba's dictionary with the domain words, loaded once per process."""
    global _dictionary
    if _dictionary is None:
        with _loaded:
            if _dictionary is None:
                _dictionary = load(DOMAIN_WORDS)
    return _dictionary


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def runs(text: str) -> list[str]:
    return RUN_RE.findall(normalise(text))


def index_tokens(text: str) -> list[str]:
    """Every token a document is found by, in text order (repeats kept: they count for ranking)."""
    words = dictionary()
    words_starting, span = words.words_starting, words.span
    tokens: list[str] = []
    append = tokens.append
    for run in runs(text[:MAX_INDEXED_CHARS]):
        if not HAN_START.match(run):
            if len(run) <= MAX_TOKEN_CHARS:
                append(run)
            continue
        encoded = run.encode()
        for start, character in enumerate(run):
            append(character)
            at = start * BYTES_PER_CHARACTER
            for word in words_starting(encoded[at : at + span]):
                append(word.decode())
    return tokens


def index_text(*texts: str) -> str:
    """The stored search document of some texts: their tokens separated by spaces."""
    if len(texts) == 1:
        indexed = getattr(indexed_ahead, "documents", {}).get(texts[0])
        if indexed is not None:
            return indexed
    return " ".join(token for text in texts if text for token in index_tokens(text))


# Search documents of texts indexed ahead by index_text itself in another process (a large import,
# articles/render_ahead.py), which index_text answers with while `answers` is in use.
indexed_ahead = threading.local()


@contextmanager
def answers(indexed: dict[str, str]) -> Iterator[None]:
    indexed_ahead.documents = indexed
    try:
        yield
    finally:
        del indexed_ahead.documents


def query_terms(query: str) -> list[str]:
    """What a reader typed, as the tokens every result must contain (at most MAX_QUERY_TERMS)."""
    terms: list[str] = []
    for run in runs(query[:MAX_QUERY_CHARS]):
        if not HAN_START.match(run):
            if len(run) <= MAX_TOKEN_CHARS:
                terms.append(run)
            continue
        terms.extend(precise_cut(run))
    terms = list(dict.fromkeys(term for term in terms if term.strip()))
    meaningful = [term for term in terms if term not in QUERY_STOPWORDS]
    return (meaningful or terms)[:MAX_QUERY_TERMS]


def precise_cut(run: str) -> list[str]:
    """A Han run as jieba.cut(run, HMM=False) segments it."""
    words = dictionary()
    cut: list[str] = []
    for piece in JIEBA_HAN_RE.split(run):
        cut.extend(best_split(piece, words) if JIEBA_HAN_RE.match(piece) else piece)
    return cut


def best_split(sentence: str, words: Dictionary) -> list[str]:
    """jieba's get_DAG, calc and __cut_DAG_NO_HMM over characters jieba segments: the split whose
    words' log frequencies add up highest, the later end winning a tie."""
    encoded = sentence.encode()
    log_total = log(words.total)
    length = len(sentence)
    # route[i]: the best score of sentence[i:] and where the first word of it ends (inclusive).
    route: list[tuple[float, int]] = [(0, 0)] * (length + 1)
    for start in range(length - 1, -1, -1):
        # A character that starts no word is a word of its own, of frequency 1.
        found = words.frequencies_at(encoded, start * BYTES_PER_CHARACTER) or [(1, 1)]
        route[start] = max((log(frequency) - log_total + route[start + size][0], start + size - 1) for size, frequency in found)
    cut = []
    start = 0
    while start < length:
        end = route[start][1] + 1
        cut.append(sentence[start:end])
        start = end
    return cut


def is_too_short(query: str) -> bool:
    """A query of fewer than two letters, digits or characters finds too much to be useful."""
    return sum(len(run) for run in runs(query[:MAX_QUERY_CHARS])) < 2
