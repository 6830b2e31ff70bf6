"""Segmenting and snippets are pure: text in, tokens or marked HTML out, no database."""

from articles.search import highlight, parse_query, snippet
from articles.segmenting import MAX_QUERY_TERMS, index_text, index_tokens, is_too_short, normalise, query_terms


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
