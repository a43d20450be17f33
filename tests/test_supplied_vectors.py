"""Papers that bring their own vectors: read, checked, kept out of the papers' columns (analysis/vectors.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.config import DEMO_CORPUS
from analysis.corpus import load_corpus
from analysis.errors import InputError


@pytest.fixture
def sample(tmp_path) -> pd.DataFrame:
    papers = pd.read_parquet(DEMO_CORPUS).head(40).reset_index(drop=True)
    papers["embedding"] = list(np.random.default_rng(0).normal(size=(len(papers), 16)))
    return papers


def write(frame: pd.DataFrame, path) -> str:
    frame.to_parquet(path)
    return str(path)


def test_vectors_are_read_as_unit_rows_and_not_carried_as_a_column(sample, tmp_path):
    corpus = load_corpus([write(sample, tmp_path / "a.parquet")])
    assert corpus.vectors.shape == (len(corpus.papers), 16)
    assert np.allclose(np.linalg.norm(corpus.vectors, axis=1), 1.0, atol=1e-5)
    assert "embedding" not in corpus.papers.columns
    assert corpus.vector_column == "embedding"


def test_jsonl_vectors_under_another_column(sample, tmp_path):
    path = tmp_path / "a.jsonl"
    sample.rename(columns={"embedding": "specter"}).assign(
        specter=lambda f: f["specter"].map(list)).to_json(path, orient="records", lines=True)
    corpus = load_corpus([str(path)], vector_column="specter")
    assert corpus.vectors.shape[1] == 16 and "specter" not in corpus.papers.columns


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(embedding=[np.r_[v[:2], np.nan, v[3:]] if i == 3 else v
                                   for i, v in enumerate(f["embedding"])]), "row 4: 'embedding' holds NaN"),
    (lambda f: f.assign(embedding=[np.r_[v[:2], np.inf, v[3:]] if i == 3 else v
                                   for i, v in enumerate(f["embedding"])]), "row 4: 'embedding' holds NaN or infinity"),
    (lambda f: f.assign(embedding=[v[:8] if i == 5 else v for i, v in enumerate(f["embedding"])]),
     "row 6: 'embedding' has 8 numbers, earlier rows have 16"),
    (lambda f: f.assign(embedding=[list(map(str, v)) if i == 2 else list(v) for i, v in enumerate(f["embedding"])]),
     "row 3: 'embedding' holds"),
    (lambda f: f.assign(embedding=[None if i == 1 else list(v) for i, v in enumerate(f["embedding"])]),
     "row 2: 'embedding' is empty"),
    (lambda f: f.assign(embedding=[np.zeros(16) if i == 0 else v for i, v in enumerate(f["embedding"])]),
     "all zeros"),
])
def test_bad_vectors_are_one_line_errors(sample, tmp_path, change, message):
    bad = change(sample)
    if "NaN" in message:  # JSON has no NaN or infinity: Parquet does
        path = tmp_path / "bad.parquet"
        bad.to_parquet(path)
    else:
        path = tmp_path / "bad.jsonl"
        bad.assign(embedding=bad["embedding"].map(lambda v: None if v is None else list(v))
                   ).to_json(path, orient="records", lines=True)
    with pytest.raises(InputError, match=message.replace("(", r"\(")) as err:
        load_corpus([str(path)])
    assert "\n" not in str(err.value)


def test_inputs_with_and_without_vectors_do_not_mix(sample, tmp_path):
    with_vectors = write(sample, tmp_path / "a.parquet")
    without = write(sample.drop(columns="embedding").assign(title=lambda f: f["title"] + " II"),
                    tmp_path / "b.parquet")
    with pytest.raises(InputError, match="a.parquet has vectors in 'embedding' but b.parquet has none"):
        load_corpus([with_vectors, without])
    shorter = write(sample.assign(embedding=sample["embedding"].map(lambda v: v[:8]), title=sample["title"] + " II"),
                    tmp_path / "c.parquet")
    with pytest.raises(InputError, match="16 numbers in a.parquet but 8 in c.parquet"):
        load_corpus([with_vectors, shorter])


def test_a_named_column_no_input_has_is_an_error(sample, tmp_path):
    with pytest.raises(InputError, match="no input has the vector column 'specter'"):
        load_corpus([write(sample, tmp_path / "a.parquet")], vector_column="specter")
