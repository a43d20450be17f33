"""Metric functions against values computed by hand on tiny corpora."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from analysis import text
from analysis.metrics import _doc_sets, agreement, npmi_coherence, silhouette, topic_diversity

DOCS = ["apple banana", "apple banana cherry", "apple cherry", "durian"]


def test_npmi_by_hand():
    # p(apple)=3/4, p(banana)=2/4, p(apple,banana)=2/4
    expected = math.log(0.5 / (0.75 * 0.5)) / -math.log(0.5)
    got = npmi_coherence(DOCS, {0: ["apple", "banana"]})[0]
    assert got == pytest.approx(expected, abs=1e-9)
    assert got == pytest.approx(0.41504, abs=1e-4)


def test_npmi_of_words_never_together_is_about_minus_one():
    # p(banana)=1/2, p(durian)=1/4, never together: gensim's epsilon gives (log eps - log 1/8) / -log eps
    eps = 1e-12
    expected = (math.log(eps) - math.log(0.125)) / -math.log(eps)
    assert npmi_coherence(DOCS, {0: ["banana", "durian"]})[0] == pytest.approx(expected, abs=1e-9)


def test_npmi_always_together_is_one():
    assert npmi_coherence(["x y", "x y", "z"], {0: ["x", "y"]})[0] == pytest.approx(1.0, abs=1e-6)


def test_npmi_averages_pairs_and_matches_phrases():
    docs = ["neural network pruning", "neural network", "pruning"]
    per = npmi_coherence(docs, {0: ["neural network", "pruning", "neural"]})[0]
    p_nn, p_pr = 2 / 3, 2 / 3
    pair1 = math.log((1 / 3) / (p_nn * p_pr)) / -math.log(1 / 3)   # neural network & pruning
    pair2 = 1.0                                                    # 'neural network' & 'neural' co-occur always
    pair3 = pair1                                                  # neural & pruning
    assert per == pytest.approx((pair1 + pair2 + pair3) / 3, abs=1e-9)


def test_phrase_index_finds_exactly_the_whole_word_occurrences():
    """The inverted index agrees with a plain whole-word search on real abstracts, phrases of 1 to 4 words."""
    import pandas as pd

    frame = pd.read_parquet(Path(__file__).parent.parent / "data" / "hf_daily_papers.parquet").head(400)
    docs = (frame["title"] + ". " + frame["abstract"]).tolist()
    terms = ["language models", "large language models", "diffusion", "reinforcement learning", "in context",
             "mixture of experts", "state of the art", "Vision-Language", "no such phrase here", "a"]
    sets = _doc_sets(docs, terms)
    keys = [text.phrase_key(d) for d in docs]
    for term in terms:
        assert sets[term] == {i for i, k in enumerate(keys) if text.phrase_key(term) in k}, term
    assert len(sets["large language models"]) > 20 and not sets["no such phrase here"]


def test_diversity_by_hand():
    assert topic_diversity({0: ["a b", "c"], 1: ["a", "d"]}) == pytest.approx(1.0)
    assert topic_diversity({0: ["a b", "c"], 1: ["a", "d"]}, split_phrases=True) == pytest.approx(4 / 5)
    assert topic_diversity({0: ["a b", "c"], 1: ["A B", "d"]}) == pytest.approx(3 / 4)
    assert topic_diversity({0: ["x", "y"], 1: ["x", "y"]}) == pytest.approx(0.5)
    assert topic_diversity({0: [f"w{i}" for i in range(30)]}, top_n=25) == 1.0


def test_silhouette_separated_vs_mixed():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 0.1, (20, 2)), rng.normal(5, 0.1, (20, 2))
    X = np.vstack([a, b])
    good = silhouette(X, np.array([0] * 20 + [1] * 20))
    bad = silhouette(X, np.array([0, 1] * 20))
    assert good > 0.9 and bad < 0.05
    assert silhouette(X, np.zeros(40, dtype=int)) is None


def test_sampled_silhouette_follows_the_seed():
    """Above ``sample`` papers the silhouette is estimated on a sample drawn with the build's seed."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] > 0).astype(int)
    first = silhouette(X, y, seed=1, sample=60)
    assert silhouette(X, y, seed=1, sample=60) == first
    assert silhouette(X, y, seed=2, sample=60) != first


def test_agreement_perfect_and_permuted():
    perfect = agreement(["a", "a", "b", "b"], [1, 1, 0, 0])
    assert perfect["nmi"] == pytest.approx(1.0) and perfect["ari"] == pytest.approx(1.0)
    none = agreement(["a", "b", "a", "b"], [0, 0, 1, 1])
    assert none["nmi"] == pytest.approx(0.0, abs=1e-9) and none["ari"] < 0


def test_npmi_terms_differing_only_in_punctuation():
    docs = ["retrieval-augmented generation", "retrieval augmented models", "vision"]
    per = npmi_coherence(docs, {0: ["retrieval-augmented", "retrieval augmented", "vision"]})[0]
    assert -1 <= per <= 1
