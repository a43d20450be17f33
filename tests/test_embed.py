"""The embedder's speed settings keep the vectors the exact model gives (real abstracts from the seed page)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.config import SEED_PAGE, EmbedConfig
from analysis.corpus import load_corpus
from analysis.embed import SentenceEmbedder
from analysis.errors import InputError


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return load_corpus([SEED_PAGE]).texts[:40]


@pytest.fixture(scope="module")
def exact(texts) -> np.ndarray:
    return SentenceEmbedder(precision="fp32", workers=1).encode(texts)


def test_default_is_the_exact_model_and_int8_has_its_own_cache_entries():
    cfg = EmbedConfig()
    assert (cfg.max_seq_length, cfg.precision) == (256, "fp32")
    default, int8 = SentenceEmbedder.from_config(cfg), SentenceEmbedder(precision="int8")
    # Different vectors must never share cache entries.
    assert default.model_id.endswith("-seq256") and int8.model_id.endswith("-seq256-int8")


def test_default_vectors_do_not_depend_on_their_batch_mates(texts, exact):
    """The cache stores one vector per text, so it must not matter which build embedded it, or with whom."""
    regrouped = SentenceEmbedder().encode(texts[:5] + texts[-20:])[:5]
    assert (regrouped * exact[:5]).sum(axis=1).min() > 0.9999


def test_parallel_model_calls_give_the_same_vectors_in_the_same_order(texts, exact):
    parallel = SentenceEmbedder(precision="fp32", workers=2).encode(texts)
    assert parallel.shape == exact.shape
    np.testing.assert_allclose(parallel, exact, atol=1e-4)


def test_many_parallel_calls_share_one_tokenizer_safely(texts, exact):
    """Four threads, one text per call: the most tokenizer calls racing each other."""
    vectors = SentenceEmbedder(precision="fp32", workers=4, batch_size=1).encode(texts)
    assert (vectors * exact).sum(axis=1).min() > 0.9999


def test_int8_vectors_stay_close_to_the_exact_model(texts, exact):
    int8 = SentenceEmbedder(precision="int8").encode(texts)
    cos = (int8 * exact).sum(axis=1)
    assert cos.mean() > 0.97 and cos.min() > 0.93, (cos.mean(), cos.min())
    np.testing.assert_allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    # Close is not identical: the int8 model really is a different computation.
    assert cos.mean() < 0.9999
    # Nearest neighbours, which is all clustering uses, mostly survive quantisation.
    nn_exact = np.argsort(-(exact @ exact.T), axis=1)[:, 1]
    nn_int8 = np.argsort(-(int8 @ int8.T), axis=1)[:, 1]
    assert (nn_exact == nn_int8).mean() >= 0.8


def test_unknown_precision_is_a_one_line_error():
    with pytest.raises(InputError, match="precision 'fp16'"):
        SentenceEmbedder(precision="fp16")
