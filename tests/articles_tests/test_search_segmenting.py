"""Segmenting and snippets are pure: text in, tokens or marked HTML out, no database.

Segmenting gives what jieba gives (the tests import jieba; the portal never does): precise_cut is
checked against jieba.cut itself, index_tokens against the walk over jieba's prefix dictionary it
replaced, on the seed documents and on generated text."""

import functools
import logging
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from articles.dictionary import jieba_dict_path
from articles.search import highlight, parse_query, snippet
from articles.segmenting import (
    DOMAIN_WORDS,
    HAN_START,
    MAX_INDEXED_CHARS,
    MAX_QUERY_TERMS,
    MAX_TOKEN_CHARS,
    dictionary,
    index_text,
    index_tokens,
    is_too_short,
    normalise,
    precise_cut,
    query_terms,
    runs,
)

SEEDS = [path.read_text() for path in sorted((Path(__file__).resolve().parents[2] / "fixtures" / "seeds").glob("*.txt"))]
# Characters of our Han ranges that jieba.cut does not segment but gives one by one (extension A,
# the end of the unified block, a compatibility ideograph NFKC keeps), among common ones.
OUTSIDE_JIEBA_HAN = "㐀㑇䶵鿖鿰鿿﨎﨏"
COMMON_CHARACTERS = sorted({character for text in SEEDS for character in text if HAN_START.match(character)}) + list(OUTSIDE_JIEBA_HAN)
OTHER_CHARACTERS = list("abcXYZ019 -_.%#&+，。！？、“”（）ＡＢ１２")


@functools.cache
def jieba():
    """jieba as segmenting used it: its dictionary with the domain words added."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for word in DOMAIN_WORDS:
        jieba.add_word(word, freq=jieba.dt.FREQ.get(word) or 20000)
    return jieba


@functools.cache
def dictionary_words() -> list[str]:
    with open(jieba_dict_path(), encoding="utf-8") as lines:
        return [word for line in lines if HAN_START.match(word := line.split(" ")[0])] + list(DOMAIN_WORDS)


def index_tokens_from_jieba_prefix_dictionary(text: str) -> list[str]:
    """index_tokens as it was: a walk over jieba.dt.FREQ (word → frequency, each prefix of a word → 0)."""
    frequencies = jieba().dt.FREQ
    tokens: list[str] = []
    for run in runs(text[:MAX_INDEXED_CHARS]):
        if not HAN_START.match(run):
            tokens.extend([run] if len(run) <= MAX_TOKEN_CHARS else [])
            continue
        for start in range(len(run)):
            tokens.append(run[start])
            end = start + 2
            while end <= len(run) and run[start:end] in frequencies:
                tokens.extend([run[start:end]] if frequencies[run[start:end]] else [])
                end += 1
    return tokens


def han_runs(text: str) -> list[str]:
    return [run for run in runs(text) if HAN_START.match(run)]


han_text = st.text(alphabet=st.sampled_from(COMMON_CHARACTERS), min_size=1, max_size=40)
# Strings of whole words, where the choice between overlapping words is the hard part.
word_text = st.deferred(lambda: st.lists(st.sampled_from(dictionary_words()), min_size=1, max_size=8).map("".join))
mixed_text = st.lists(st.one_of(han_text, word_text, st.text(alphabet=st.sampled_from(OTHER_CHARACTERS), max_size=6))).map("".join)


def test_the_dictionary_total_is_jiebas_after_the_domain_words():
    assert dictionary().total == jieba().dt.total


def test_the_seed_documents_are_cut_as_jieba_cuts_them():
    for run in han_runs("\n".join(SEEDS)):
        assert precise_cut(run) == list(jieba().cut(run, HMM=False)), run


@settings(max_examples=300, deadline=None)
@given(st.one_of(han_text, word_text))
def test_han_text_is_cut_as_jieba_cuts_it(text):
    for run in han_runs(text):
        assert precise_cut(run) == list(jieba().cut(run, HMM=False))


def test_the_seed_documents_get_the_tokens_the_prefix_dictionary_gave():
    for text in SEEDS:
        assert index_tokens(text) == index_tokens_from_jieba_prefix_dictionary(text)


@settings(max_examples=300, deadline=None)
@given(mixed_text)
def test_any_text_gets_the_tokens_the_prefix_dictionary_gave(text):
    assert index_tokens(text) == index_tokens_from_jieba_prefix_dictionary(text)


def test_a_document_is_indexed_by_its_words_and_their_parts():
    tokens = index_tokens("用提示词让大模型帮你变现")
    for word in ("提示词", "提示", "大模型", "模型", "变现", "词"):
        assert word in tokens


def test_every_query_token_is_among_the_tokens_of_a_text_containing_it():
    text = "很多人其实往往忽视了提示词的写法，普通人也能上手大模型，跑通变现闭环。"
    tokens = set(index_tokens(text))
    for query in ("提示词的写法", "普通人", "变现闭环", "大模型", "写法"):
        assert set(query_terms(query)) <= tokens, query


def test_full_width_and_case_are_normalised_on_both_sides():
    assert index_tokens("ＧＰＴ－４ ChatGPT") == ["gpt", "4", "chatgpt"]
    assert query_terms("ｃｈａｔＧＰＴ") == ["chatgpt"]
    assert normalise("Ａｂｃ") == "abc"


def test_punctuation_and_operators_never_become_tokens():
    assert query_terms('"提示词" OR -变现 * (AND) NEAR') == ["提示词", "变现", "near"]
    assert index_text("！？……“”（）") == ""


def test_question_words_are_dropped_from_a_query_unless_nothing_else_is_left():
    assert query_terms("如何用提示词变现") == ["用", "提示词", "变现"]
    assert query_terms("如何") == ["如何"]


def test_hostile_queries_are_bounded():
    assert set(query_terms("模型 " * 5000)) <= {"模型", "模"}  # cut at 100 characters, maybe mid-word
    assert len(query_terms(" ".join(f"词{n}" for n in range(100)))) <= MAX_QUERY_TERMS
    assert query_terms("x" * 10_000) == []  # one 100-character "word" is nothing anyone searches for
    assert parse_query("x" * 10_000).text == "x" * 100


def test_too_short_queries():
    assert is_too_short("书") and is_too_short("  ! ") and is_too_short("")
    assert not is_too_short("模型") and not is_too_short("AI")


def test_snippet_marks_the_terms_and_escapes_everything_else():
    text = "<script>alert(1)</script> 前言。" + "铺垫" * 100 + "这里讲提示词的写法和变现。" + "结尾" * 100
    result = snippet(text, ["提示词", "变现"])
    assert "<mark>提示词</mark>" in result and "<mark>变现</mark>" in result
    assert "<script>" not in result
    assert result.startswith("…") and result.endswith("…")
    assert len(result) < 200


def test_snippet_without_a_match_is_the_opening_of_the_text():
    assert snippet("<b>开场白</b>", ["标题里的词"]) == "&lt;b&gt;开场白&lt;/b&gt;"


def test_latin_terms_are_marked_as_whole_words_only():
    assert str(highlight("said AI is not ai-ish", ["ai"])) == "said <mark>AI</mark> is not <mark>ai</mark>-ish"


def test_highlight_maps_back_through_full_width_text():
    assert str(highlight("用ＧＰＴ写作", ["gpt"])) == "用<mark>ＧＰＴ</mark>写作"


def test_longer_terms_win_overlaps():
    assert str(highlight("提示词", ["提示", "提示词"])) == "<mark>提示词</mark>"
