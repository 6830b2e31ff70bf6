"""Chinese text to search tokens, with jieba's dictionary. Pure functions: text in, tokens out.

Chinese has no spaces, so a document is stored as space-separated tokens that PostgreSQL's
'simple' text search configuration and SQLite's FTS5 tokenizer can index as they are.

- A document is indexed in jieba's full mode: every dictionary word found at any position, plus
  every Han character on its own, plus Latin words and numbers. So 提示词 in a text yields
  提示, 提示词, 提, 示 and 词, and any dictionary word a reader types is found wherever the text
  contains it (大模型 is found by 模型). jieba's own full mode does this with a slower scan;
  this one walks jieba's prefix dictionary directly, which a large import needs (about ten times
  faster than cut_for_search).
- A query is segmented in jieba's precise mode without HMM, so each of its tokens is a
  dictionary word or a single character, both of which the document side always emits.

Both sides are normalised the same way: NFKC (full-width letters and digits to half-width,
compatibility ideographs to unified ones) and case folding.
"""

import logging
import re
import threading
import unicodedata

# Words jieba's general dictionary lacks but readers of these columns type; without them
# 提示词 would only be found as 提示 and 词 separately.
DOMAIN_WORDS = (
    "提示词", "大模型", "智能体", "工作流", "知识库", "文生图", "文生视频", "图生视频", "分镜", "分镜脚本",
    "短视频", "私域", "私域流量", "副业", "变现", "小红书", "公众号", "视频号", "自媒体", "出海", "独立开发",
    "微调", "向量数据库", "多模态", "开源模型", "算力", "爆款", "种子用户", "复盘",
)

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Han run, or a run of other letters and digits (Latin words, numbers, kana, hangul).
RUN_RE = re.compile(rf"[{HAN}]+|[^\W_{HAN}]+")
HAN_START = re.compile(rf"[{HAN}]")
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
_dictionary: dict[str, int] | None = None


def dictionary() -> dict[str, int]:
    """jieba's prefix dictionary (word → frequency; prefixes of words map to 0), loaded once per process, quietly."""
    global _dictionary
    if _dictionary is None:
        with _loaded:
            if _dictionary is None:
                import jieba  # here, not at module level: only processes that segment pay for it

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                for word in DOMAIN_WORDS:
                    jieba.add_word(word, freq=jieba.dt.FREQ.get(word) or 20000)
                _dictionary = jieba.dt.FREQ
    return _dictionary


def _jieba():
    import jieba

    return jieba


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def runs(text: str) -> list[str]:
    return RUN_RE.findall(normalise(text))


def index_tokens(text: str) -> list[str]:
    """Every token a document is found by, in text order (repeats kept: they count for ranking)."""
    words = dictionary()
    tokens: list[str] = []
    append = tokens.append
    for run in runs(text[:MAX_INDEXED_CHARS]):
        if not HAN_START.match(run):
            if len(run) <= MAX_TOKEN_CHARS:
                append(run)
            continue
        length = len(run)
        for start in range(length):
            append(run[start])
            end = start + 2
            while end <= length:
                frequency = words.get(run[start:end])
                if frequency is None:
                    break
                if frequency:
                    append(run[start:end])
                end += 1
    return tokens


def index_text(*texts: str) -> str:
    """The stored search document of some texts: their tokens separated by spaces."""
    return " ".join(token for text in texts if text for token in index_tokens(text))


def query_terms(query: str) -> list[str]:
    """What a reader typed, as the tokens every result must contain (at most MAX_QUERY_TERMS)."""
    words = dictionary()  # noqa: F841  (jieba.cut below must see the domain words)
    terms: list[str] = []
    for run in runs(query[:MAX_QUERY_CHARS]):
        if not HAN_START.match(run):
            if len(run) <= MAX_TOKEN_CHARS:
                terms.append(run)
            continue
        terms.extend(_jieba().cut(run, HMM=False))
    terms = list(dict.fromkeys(term for term in terms if term.strip()))
    meaningful = [term for term in terms if term not in QUERY_STOPWORDS]
    return (meaningful or terms)[:MAX_QUERY_TERMS]


def is_too_short(query: str) -> bool:
    """A query of fewer than two letters, digits or characters finds too much to be useful."""
    return sum(len(run) for run in runs(query[:MAX_QUERY_CHARS])) < 2
