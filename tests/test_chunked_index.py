"""The themes' phrase index built in chunks (analysis/chunked_index.py) is PhraseIndex.build's, term for term."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import chunked_index
from analysis.chunked_index import build_in_chunks
from analysis.config import DATA_DIR
from analysis.theme_index import PhraseIndex


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """400 real abstracts, and papers with nothing to index: no text, only stop words, one word."""
    papers = pd.read_parquet(DATA_DIR / "hf_daily_papers.parquet", columns=["title", "abstract"]).head(400)
    real = [f"{t}. {a}" for t, a in zip(papers["title"], papers["abstract"], strict=True)]
    return real[:150] + ["", "The of and, with: a.", "Transformers"] + real[150:] + ["diffusion diffusion models"]


def _same(a: PhraseIndex, b: PhraseIndex) -> None:
    assert a.terms.tolist() == b.terms.tolist()  # the same terms in the same order: ties rank the same
    assert np.array_equal(a.df, b.df) and a.df.dtype == b.df.dtype
    assert a.matrix.shape == b.matrix.shape and (a.matrix != b.matrix).nnz == 0
    assert set(np.unique(a.matrix.data).tolist()) <= {1.0}


@pytest.mark.parametrize("min_df", [1, 2])
def test_any_chunk_size_gives_the_one_shot_index(texts, min_df):
    whole = PhraseIndex.build(texts, min_df=min_df)
    assert len(whole.terms) > 1000 and whole.matrix.nnz > 10_000
    for chunk in (1, 7, 151, 1000):
        _same(build_in_chunks(texts, min_df=min_df, chunk=chunk), whole)


def test_pairs_never_span_two_papers():
    """"models diffusion" is written only across the end of one paper and the start of the next."""
    index = build_in_chunks(["we train diffusion models", "diffusion models again"], min_df=1, chunk=1)
    assert "diffusion models" in index.terms.tolist() and "models diffusion" not in index.terms.tolist()
    assert index.column("diffusion models").tolist() == [True, True]


def test_build_chunks_corpora_above_the_setting(texts, monkeypatch):
    """Above PHRASE_INDEX_CHUNK_PAPERS, PhraseIndex.build goes chunk by chunk, and gives the same index."""
    reference = PhraseIndex.build(texts, min_df=2)
    calls = []
    real = chunked_index.build_in_chunks

    def spy(texts, min_df=2):
        calls.append(len(texts))
        return real(texts, min_df, chunk=50)

    monkeypatch.setattr(chunked_index, "PHRASE_INDEX_CHUNK_PAPERS", 100)
    monkeypatch.setattr(chunked_index, "build_in_chunks", spy)
    _same(PhraseIndex.build(texts, min_df=2), reference)
    assert calls == [len(texts)]


def test_papers_without_a_word_give_an_empty_index():
    for texts in (["", "?!", ""], ["", "1 2 3", "?! of"]):  # no word; only numbers and stop words
        _same(build_in_chunks(texts, min_df=1, chunk=2), PhraseIndex.build(texts, min_df=1))
