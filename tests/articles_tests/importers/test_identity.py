"""Import identities: what makes a post the same post across snapshots of its source."""

from articles.importers.identity import distinct, normalize_title, number_identity, slug_identity, title_identity


def test_spacing_punctuation_width_and_case_do_not_make_another_title():
    assert normalize_title("AI 做视频，能干些啥？") == normalize_title("ai做视频,能干些啥") == "ai做视频能干些啥"
    assert normalize_title("ＡＩ　做视频") == normalize_title("AI 做视频")


def test_different_words_are_different_titles():
    assert title_identity("AI 做视频，如何变现？") != title_identity("AI 做视频，能干些啥？")


def test_a_title_of_punctuation_alone_keeps_its_characters():
    assert normalize_title("？？") == normalize_title("??") == "??"
    assert normalize_title("——") != normalize_title("……")


def test_numbers_keep_the_form_earlier_imports_stored():
    assert number_identity(10) == "010"
    assert number_identity(1234) == "1234"


def test_kinds_of_identity_cannot_collide():
    assert len({number_identity(10), title_identity("010"), slug_identity("010")}) == 3


def test_repeats_are_told_apart_by_their_order():
    assert distinct(["t:答疑", "t:周报", "t:答疑", "t:答疑"]) == ["t:答疑", "t:周报", "t:答疑~2", "t:答疑~3"]
