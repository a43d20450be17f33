"""Text keys (analysis.text): words, phrase keys, title keys and arXiv ids, by example and as properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.text import arxiv_id_of, joined_phrase_keys, norm_title, phrase_key, words
from analysis.text_index import SEPARATOR

#: Few letters, so phrases recur; plus punctuation, case, the separator, non-ASCII letters whose casefold
#: is ASCII ('ß', 'ﬁ', the Kelvin sign), an astral character and a lone surrogate.
ALPHABET = st.sampled_from(list("ab AB-_.,\n09") + [SEPARATOR, "é", "ß", "ﬁ", "\u212a", "𝒪", "\ud800"])
TEXT = st.text(ALPHABET, max_size=16)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_phrase_key_is_the_regex_cleaning_and_its_words(text):
    assert phrase_key(text) == " " + re.sub(r"[^0-9a-z]+", " ", text.casefold()).strip() + " "
    assert phrase_key(text).split() == words(text)
    assert phrase_key(phrase_key(text)) == phrase_key(text)


@settings(max_examples=500, deadline=None)
@given(TEXT, st.lists(st.sampled_from(["a", "b", "ab", "ss", "fi", "k"]), min_size=1, max_size=3))
def test_a_phrase_key_is_found_exactly_where_its_words_stand_in_a_row(text, phrase):
    found = phrase_key(" ".join(phrase)) in phrase_key(text)
    ws = words(text)
    assert found == any(ws[i:i + len(phrase)] == phrase for i in range(len(ws) - len(phrase) + 1))


@settings(max_examples=500, deadline=None)
@given(st.lists(TEXT, max_size=8))
def test_joined_phrase_keys_equal_one_key_per_text(texts):
    assert joined_phrase_keys(texts, SEPARATOR) == SEPARATOR.join(phrase_key(t) for t in texts).encode("ascii")


def test_joined_phrase_keys_refuse_a_word_character_as_separator():
    with pytest.raises(ValueError, match="separator"):
        joined_phrase_keys(["a b"], "a")


def test_words_break_on_hyphens_and_punctuation():
    assert words("Mixture-of-Experts (MoE), v2.") == ["mixture", "of", "experts", "moe", "v2"]
    assert phrase_key("In-Context   learning!") == phrase_key("in context learning") == " in context learning "
    assert phrase_key("") == phrase_key("---") == "  "


@pytest.mark.parametrize("value, expected", [
    ("2405.15738", "2405.15738"), ("2405.15738v3", "2405.15738"), ("arXiv:2405.15738", "2405.15738"),
    ("https://arxiv.org/abs/2405.15738v1", "2405.15738"), ("http://arxiv.org/pdf/1501.0001v2", "1501.0001"),
    ("10.48550/arXiv.2405.15738", "2405.15738"), ("hep-th/9901001v2", "hep-th/9901001"),
    ("math.GT/0309136", "math.GT/0309136"), ("12345.67890", ""), ("2405.157389", ""), ("W123", ""), ("", ""),
])
def test_arxiv_id_of(value, expected):
    assert arxiv_id_of(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("2405.15738", "2405.15738"), ("2405.15738v3", "2405.15738"), ("hep-th/9901001v2", "hep-th/9901001"),
    ("arXiv:2405.15738", ""), ("https://arxiv.org/abs/2405.15738", ""), ("2405.15738 ", ""), ("t1a2b3", ""),
])
def test_a_whole_arxiv_id_is_the_value_and_nothing_else(value, expected):
    assert arxiv_id_of(value, whole=True) == expected


def test_norm_title():
    assert norm_title("Attention: Is ALL you need?!") == norm_title("attention is all you need")
    assert norm_title("Café") == norm_title("cafe")
    assert norm_title("注意力") == "注意力" and norm_title("ΓΡΑΦΟΣ") == norm_title("γράφος")
    assert norm_title("???") == ""


def test_untrusted_text_is_isolated_and_cut_to_a_label():
    from analysis.text import FSI, LABEL_CHARS, PDI, label_text, short

    evil = "\u202edetaerc"
    assert label_text(evil) == f"{FSI}{evil}{PDI}"
    long = " ".join(["word"] * 2000)
    cut = short(long)
    assert len(cut) <= LABEL_CHARS and cut.endswith("…") and not cut[:-1].endswith(" ")
    assert short("x" * 500, 40) == "x" * 39 + "…"  # no space to cut at: a hard cut, never a bare '…'
    assert short("a\nb  c") == "a b c"
