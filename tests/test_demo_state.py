"""The demo state shipped in data/demo_state is what the pipeline builds from the shipped inputs.

The state is the demo build's keyword and theme vectors and its two UMAP
results, so a first start needs neither the model nor UMAP. Both are
content-addressed (by text and model, by vectors, parameters and seed), so
code that would build something else cannot find them; these tests check
that they are found, that they are all the first build needs, and that a
build without them gives the same run. UMAP on the same vectors with the
same seed is exact on one machine; elsewhere (other BLAS, other CPU) the
comparison is of what the run shows: topics, map neighbourhoods, labels.
The int8 model's vectors depend on the CPU's instruction set, so the
keyword and theme vectors are compared by cosine (docs/performance.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.config import (
    DEMO_CORPUS,
    DEMO_STATE,
    SEED_PAGE,
    EmbedConfig,
    ReduceConfig,
    shipped_embedding_dirs,
    shipped_reduction_dirs,
)
from analysis.corpus import load_corpus
from analysis.embed import KEY_BYTES, EmbeddingCache, SentenceEmbedder, embed_with_cache
from analysis.pipeline import build
from analysis.reduce import Reducer, ReductionCache


def shipped_vectors() -> np.ndarray:
    corpus = load_corpus([DEMO_CORPUS])
    embedder = SentenceEmbedder.from_config(EmbedConfig())
    vectors, new = embed_with_cache(corpus.texts, embedder, EmbeddingCache("/nonexistent",
                                                                           extra_dirs=shipped_embedding_dirs()))
    assert new == 0, "a demo paper without a shipped vector: python scripts/make_demo_data.py"
    return vectors


def test_a_build_with_every_text_cached_never_converts_the_model(seed_run, cache_dir, tmp_path):
    # The seed run's build left every vector the seed page needs (papers, keywords, themes) in the test cache.
    embedder = SentenceEmbedder.from_config(EmbedConfig(), model_cache=tmp_path / "models")
    again = build([SEED_PAGE], cache_dir=cache_dir, embedder=embedder)
    assert again.meta["counts"]["embedded_new"] == 0
    assert not (tmp_path / "models").exists(), "the model was converted with nothing to embed"


def test_the_shipped_state_is_small():
    files = [p for p in DEMO_STATE.rglob("*") if p.is_file()]
    assert len(files) == 3, [p.name for p in files]  # one shard of vectors, the 5-D and the 2-D reductions
    assert sum(p.stat().st_size for p in files) < 4 * 2**20


def test_the_shipped_reductions_are_found_under_the_keys_the_code_computes_now():
    # Any change to the reduction's parameters, seed or inputs changes the key: the shipped results are then
    # never used (regenerate with `python scripts/make_demo_data.py --state-only`), and this fails.
    vectors = shipped_vectors()
    reducer = Reducer(ReduceConfig(), seed=42, cache=ReductionCache(None, extra_dirs=shipped_reduction_dirs()))
    space, xy = reducer.cluster_space(vectors), reducer.map_2d(vectors)
    assert (reducer.cache_hits, reducer.computed) == (2, 0)
    assert space.shape == (len(vectors), ReduceConfig().n_components) and xy.shape == (len(vectors), 2)


def _shard_vectors(folder) -> dict[bytes, np.ndarray]:
    out = {}
    for shard in sorted(folder.glob("shard-*.npz")):
        with np.load(shard, allow_pickle=False) as z:
            out.update(zip((k.ljust(KEY_BYTES, b"\x00") for k in z["keys"].tolist()), z["vectors"]))
    return out


def _neighbour_agreement(a: np.ndarray, b: np.ndarray, k: int = 10, sample: int = 500) -> float:
    """Mean share of a paper's k nearest neighbours on one map that are also its neighbours on the other."""
    idx = np.random.default_rng(0).choice(len(a), size=sample, replace=False)

    def nearest(xy):
        d = ((xy[idx, None, :] - xy[None, :, :]) ** 2).sum(-1)
        return np.argsort(d, axis=1)[:, 1:k + 1]

    na, nb = nearest(a), nearest(b)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb, strict=True)]))


@pytest.mark.slow
def test_the_demo_builds_from_the_state_without_model_or_umap_and_as_without_it(tmp_path, cache_dir, monkeypatch):
    # With the state: nothing embedded, UMAP never run, the model never even converted.
    fresh = tmp_path / "with"
    embedder = SentenceEmbedder.from_config(EmbedConfig(), model_cache=fresh / "models")
    with_state = build([DEMO_CORPUS], cache_dir=fresh, embedder=embedder)
    counts = with_state.meta["counts"]
    assert counts["embedded_new"] == 0 and counts["reduction_from_cache"]
    assert not list((fresh / "models").glob("*.onnx")), "the first start converted the model"
    assert not (fresh / "embeddings").exists(), "the state lacks keyword or theme vectors the build needed"
    assert not (fresh / "reduced").exists()

    # Without it, into an empty cache (the test cache's converted model and numba code only): the same run.
    monkeypatch.setenv("PAPERTOPICS_NO_SHIPPED_STATE", "1")
    cold = tmp_path / "without"
    embedder = SentenceEmbedder.from_config(EmbedConfig(), model_cache=cache_dir / "models")
    without = build([DEMO_CORPUS], cache_dir=cold, embedder=embedder)
    assert not without.meta["counts"]["reduction_from_cache"]

    # The UMAP results: the same files under the same keys; on this machine the same numbers.
    shipped = {p.name: p for p in (DEMO_STATE / "reduced").glob("*.npz")}
    made = {p.name: p for p in (cold / "reduced").glob("*.npz")}
    assert set(made) == set(shipped)
    exact = all(np.array_equal(np.load(made[n])["reduced"], np.load(shipped[n])["reduced"]) for n in made)
    a, b = with_state.papers, without.papers
    assert list(a["paper_id"]) == list(b["paper_id"])
    assert adjusted_rand_score(a["topic_id"], b["topic_id"]) > (0.999 if exact else 0.9)
    xy_a, xy_b = a[["x", "y"]].to_numpy(), b[["x", "y"]].to_numpy()
    assert _neighbour_agreement(xy_a, xy_b) > (0.999 if exact else 0.8)

    # The keyword and theme vectors: the state holds exactly what the build embeds, at int8 precision.
    model_id = embedder.model_id
    state = _shard_vectors(DEMO_STATE / "embeddings" / model_id)
    fresh_vectors = _shard_vectors(cold / "embeddings" / model_id)
    assert set(fresh_vectors) == set(state)
    cosines = np.array([float(state[k] @ fresh_vectors[k]) for k in state])
    assert cosines.min() > 0.98 and cosines.mean() > 0.99, (cosines.min(), cosines.mean())
    if exact:
        same = (with_state.topics["topic_label"] == without.topics["topic_label"]).mean()
        assert same > 0.9, with_state.topics[["topic_label"]].join(without.topics[["topic_label"]], rsuffix="_cold")


def test_a_damaged_shipped_reduction_is_reported_recomputed_and_never_deleted(tmp_path):
    made = ReductionCache(tmp_path / "made")
    made.put("k", np.ones((4, 2), dtype=np.float32))
    shipped = tmp_path / "made" / "reduced"
    cache = ReductionCache(tmp_path / "own", extra_dirs=[shipped])
    assert np.array_equal(cache.get("k", 4), np.ones((4, 2), dtype=np.float32))
    (shipped / "k.npz").write_bytes(b"not an npz")
    assert cache.get("k", 4) is None and cache.problems
    assert (shipped / "k.npz").exists()
