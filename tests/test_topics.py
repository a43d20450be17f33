"""Topic pieces: neighbour graph, clustering helpers, labels, and a real fit on the seed page."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from analysis.config import auto_min_topic_size
from analysis.reduce import ReductionCache, exact_cosine_knn
from analysis.topics import make_label, order_by_size, reassign_outliers


def test_exact_knn_matches_sklearn():
    X = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    idx, dist = exact_cosine_knn(X, 10, block=64)
    ref_d, ref_i = NearestNeighbors(n_neighbors=10, metric="cosine").fit(X).kneighbors(X)
    assert (idx == ref_i).mean() > 0.99
    assert np.abs(dist - ref_d).max() < 1e-5
    assert (idx[:, 0] == np.arange(300)).all() and (dist[:, 0] == 0).all()


def test_reduction_cache_roundtrip_and_rejects_wrong_shape(tmp_path):
    cache = ReductionCache(tmp_path)
    arr = np.arange(12, dtype=np.float32).reshape(6, 2)
    cache.put("k", arr)
    assert np.array_equal(cache.get("k", 6), arr)
    assert cache.get("k", 7) is None
    (tmp_path / "reduced" / "bad.npy").write_bytes(b"garbage")
    assert cache.get("bad", 6) is None


def test_order_by_size_and_outliers():
    labels = np.array([5, 5, 2, 2, 2, -1, 7])
    assert order_by_size(labels).tolist() == [1, 1, 0, 0, 0, -1, 2]


def test_reassign_outliers_to_most_similar_centroid():
    emb = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.8]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1, -1, -1])
    assert reassign_outliers(labels, emb).tolist() == [0, 0, 1, 1, 0, 1]


def test_labels_skip_repeated_phrases():
    assert make_label(["mixture of experts", "experts", "routing", "sparse"], 3) == \
        "Mixture of experts, routing, sparse"
    assert make_label(["catastrophic forgetting", "essential forgetting", "continual learning", "replay"], 2) == \
        "Catastrophic forgetting, continual learning"
    assert make_label(["", "continual learning", "continual learning", "forgetting"], 3) == \
        "Continual learning, forgetting"
    assert make_label([], 3) == "Miscellaneous"


def test_topic_size_scales_with_corpus():
    assert 3 <= auto_min_topic_size(73) <= 5
    assert auto_min_topic_size(10_000) == 50
    assert auto_min_topic_size(1) == 3


def test_seed_page_topics_are_readable(seed_run):
    """73 papers: roughly 4-12 topics, every paper placed, labels are phrases not stop words."""
    papers = pd.read_csv(seed_run / "papers.csv", keep_default_na=False)
    topics = pd.read_csv(seed_run / "topics.csv", keep_default_na=False)
    assert 4 <= len(topics) <= 12
    assert (papers["topic_id"] >= 0).all()
    assert topics["size"].sum() == 73
    stop = {"the", "of", "and", "to", "in", "a", "for", "we", "with", "on"}
    for label in topics["topic_label"]:
        words = {w.strip(",").lower() for w in label.split()}
        assert words - stop, label
        assert not (words & stop), f"stop word in label {label!r}"
    assert topics["size"].is_monotonic_decreasing


def test_saved_model_assigns_papers_without_refitting(seed_run, seed_page, cache_dir, tmp_path):
    """The run's safetensors model files the same papers under (almost always) the same topics."""
    from analysis.assign import assign_files

    assigned = assign_files(seed_run, [str(seed_page)], cache_dir=cache_dir)
    papers = pd.read_parquet(seed_run / "papers.parquet")
    merged = assigned.merge(papers, on="paper_id", suffixes=("_new", "_run"))
    assert len(merged) == 73
    assert (merged["topic_id_new"] == merged["topic_id_run"]).mean() >= 0.9
    assert (merged["themes_new"] == merged["themes_run"]).all()
