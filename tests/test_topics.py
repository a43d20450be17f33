"""Topic pieces: neighbour graph, clustering helpers, labels, and a real fit on the seed page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import NearestNeighbors

from analysis.config import TopicConfig, auto_min_topic_size
from analysis.placement import nearest_centroid, place, topic_centroids, unit_rows
from analysis.reduce import Reducer, ReductionCache, exact_cosine_knn
from analysis.topics import (
    Clusters,
    TopicModeler,
    cluster_topics,
    make_label,
    make_representation,
    order_by_size,
    reassign_outliers,
)


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
    (tmp_path / "reduced" / "bad.npz").write_bytes(b"garbage")
    assert cache.get("bad", 6) is None
    assert "damaged reduction cache entry bad.npz" in cache.problems[0]
    # A parseable file whose numbers were changed is caught by the checksum, not trusted.
    with np.load(tmp_path / "reduced" / "k.npz") as z:
        tampered = {"reduced": z["reduced"] + 1, "checksum": z["checksum"]}
    np.savez(tmp_path / "reduced" / "k.npz", **tampered)
    assert cache.get("k", 6) is None and len(cache.problems) == 2


def test_reducer_counts_what_it_read_from_the_cache_and_what_it_computed(tmp_path):
    x = np.random.default_rng(0).normal(size=(6, 16)).astype(np.float32)
    first = Reducer(seed=3, cache=ReductionCache(tmp_path))
    space, layout = first.cluster_space(x), first.map_2d(x)
    assert space.shape == (6, 5) and layout.shape == (6, 2)
    assert (first.cache_hits, first.computed) == (0, 2)
    again = Reducer(seed=3, cache=ReductionCache(tmp_path))
    assert np.array_equal(again.cluster_space(x), space) and np.array_equal(again.map_2d(x), layout)
    assert (again.cache_hits, again.computed) == (2, 0)
    other_seed = Reducer(seed=4, cache=ReductionCache(tmp_path))
    other_seed.map_2d(x)
    assert (other_seed.cache_hits, other_seed.computed) == (0, 1)


def test_order_by_size_and_outliers():
    labels = np.array([5, 5, 2, 2, 2, -1, 7])
    assert order_by_size(labels).tolist() == [1, 1, 0, 0, 0, -1, 2]


def test_reassign_outliers_to_nearest_centroid():
    space = np.array([[0, 0], [0, 1], [10, 10], [10, 11], [2, 1], [7, 8]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1, -1, -1])
    assert reassign_outliers(labels, space).tolist() == [0, 0, 1, 1, 0, 1]


def test_papers_outside_the_fit_take_the_nearest_unit_centroid_and_land_among_their_neighbours():
    rng = np.random.default_rng(0)
    a, b = np.eye(8, dtype=np.float32)[0], np.eye(8, dtype=np.float32)[1]
    fitted = unit_rows(np.vstack([a + 0.1 * rng.normal(size=(20, 8)), b + 0.1 * rng.normal(size=(20, 8))])
                       .astype(np.float32))
    labels = np.array([3] * 20 + [7] * 20)
    labels[5] = -1  # an outlier has no centroid of its own
    ids, centroids = topic_centroids(fitted, labels, unit=True)
    assert ids.tolist() == [3, 7] and np.allclose(np.linalg.norm(centroids, axis=1), 1)
    xy = np.where(np.arange(40)[:, None] < 20, [0.0, 0.0], [10.0, 10.0]).astype(np.float32)
    new = unit_rows(np.vstack([a + 0.2 * b, b + 0.2 * a, fitted[25]]).astype(np.float32))
    topics, positions = place(new, centroids, ids, fitted, xy)
    assert topics.tolist() == [3, 7, 7]
    assert np.abs(positions[0]).max() < 1e-6 and np.abs(positions[1] - 10).max() < 1e-4
    # The same rule by distance (the clustering space), and an unknown metric is refused.
    space = np.array([[0, 0], [10, 10]], dtype=np.float32)
    assert nearest_centroid(np.array([[9, 8], [1, 2]], dtype=np.float32), space, np.array([4, 2]),
                            metric="euclidean").tolist() == [2, 4]
    with pytest.raises(ValueError, match="unknown metric"):
        nearest_centroid(new, centroids, ids, metric="manhattan")


def test_topic_modeler_is_an_estimator_describing_the_topics_it_is_given():
    """fit(docs, embeddings, clusters) returns the modeler; each topic's keywords come from its own papers."""
    rng = np.random.default_rng(0)
    docs = ([f"graph neural networks message passing on molecules, study {i}" for i in range(12)]
            + [f"speech recognition acoustic models for low resource languages, study {i}" for i in range(12)])
    embeddings = np.vstack([np.eye(8)[0] + 0.05 * rng.normal(size=(12, 8)),
                            np.eye(8)[1] + 0.05 * rng.normal(size=(12, 8))]).astype(np.float32)
    clusters = cluster_topics(np.vstack([rng.normal(0, 0.1, (12, 5)), rng.normal(5, 0.1, (12, 5))]),
                              TopicConfig(min_topic_size=4))
    assert sorted(set(clusters.labels.tolist())) == [0, 1] and clusters.min_topic_size == 4
    modeler = TopicModeler(TopicConfig(representation="ctfidf"), seed=3)
    assert not hasattr(modeler, "result_")  # nothing is fitted before fit
    assert modeler.fit(docs, embeddings, clusters) is modeler
    res = modeler.result_
    assert res.topics.tolist() == clusters.labels.tolist()
    graph_topic = int(clusters.labels[0])
    words = {w for phrase, _ in res.keywords[graph_topic] for w in phrase.split()}  # keywords are phrases
    assert {"networks", "molecules"} <= words and "speech" not in words
    with pytest.raises(ValueError, match="24 docs, 24 embeddings and 3 topics"):
        TopicModeler().fit(docs, embeddings, Clusters(np.zeros(3, dtype=int), np.zeros(3, dtype=int), 3))


def test_the_seed_reaches_keybert_sampling():
    keybert, _ = make_representation(TopicConfig(), seed=7)
    assert keybert.random_state == 7


def test_labels_skip_repeated_phrases():
    assert make_label(["mixture of experts", "experts", "routing", "sparse"], 3) == \
        "Mixture of experts, routing, sparse"
    assert make_label(["catastrophic forgetting", "essential forgetting", "continual learning", "replay"], 2) == \
        "Catastrophic forgetting, continual learning"
    assert make_label(["", "continual learning", "continual learning", "forgetting"], 3) == \
        "Continual learning, forgetting"
    assert make_label([], 3) == "Miscellaneous"
    # Acronyms read as the field writes them, whole words only ("rag" in "ragged" stays).
    assert make_label(["ai agents", "llm-based gui", "3d ragged scenes"], 3) == \
        "AI agents, LLM-based GUI, 3D ragged scenes"


def test_topic_size_scales_with_corpus():
    assert 3 <= auto_min_topic_size(73) <= 5
    assert 60 <= auto_min_topic_size(10_000) <= 100
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


def test_a_run_keeps_its_own_topic_centroids_and_older_runs_without_them_still_assign(seed_run, seed_page,
                                                                                     cache_dir, tmp_path):
    import shutil

    from analysis.assign import assign_files
    from analysis.patches import bertopic_topic_embeddings
    from analysis.topics import CENTROIDS_FILE, load_centroids

    ids, centroids = load_centroids(seed_run / "model")
    topics = pd.read_parquet(seed_run / "topics.parquet")
    assert ids.tolist() == sorted(topics["topic_id"]) and np.allclose(np.linalg.norm(centroids, axis=1), 1)
    old_ids, old_centroids = bertopic_topic_embeddings(seed_run / "model")
    assert old_ids.tolist() == ids.tolist() and np.array_equal(old_centroids, centroids)
    old = shutil.copytree(seed_run, tmp_path / "before-centroids")
    (old / "model" / CENTROIDS_FILE).unlink()
    pd.testing.assert_frame_equal(assign_files(old, [str(seed_page)], cache_dir=cache_dir),
                                  assign_files(seed_run, [str(seed_page)], cache_dir=cache_dir))


def test_a_run_json_without_embedding_settings_is_assigned_with_the_default_ones(seed_run, seed_page, cache_dir,
                                                                                 tmp_path, monkeypatch):
    """Missing token budget and precision mean the defaults (256, int8), as the run was built, not 128/fp32."""
    import json
    import shutil

    from analysis.assign import assign_files

    old = shutil.copytree(seed_run, tmp_path / "old-run")
    meta = json.loads((old / "run.json").read_text())
    model_id = meta["model"].pop("model_id")
    del meta["model"]["max_seq_length"], meta["model"]["precision"]
    (old / "run.json").write_text(json.dumps(meta))
    monkeypatch.setenv("PAPERTOPICS_NO_SHIPPED_EMBEDDINGS", "1")
    monkeypatch.setenv("PAPERTOPICS_MODEL_CACHE", str(cache_dir / "models"))  # the converted model, not vectors
    fresh = tmp_path / "fresh-cache"
    assigned = assign_files(old, [str(seed_page)], cache_dir=fresh)
    assert [p.name for p in (fresh / "embeddings").iterdir()] == [model_id]
    merged = assigned.merge(pd.read_parquet(seed_run / "papers.parquet"), on="paper_id", suffixes=("_new", "_run"))
    assert len(merged) == 73 and (merged["topic_id_new"] == merged["topic_id_run"]).mean() >= 0.9


def test_fit_sample_is_exact_size_and_stratified_by_month():
    from analysis.pipeline import fit_sample_indices

    dates = pd.Series(["2025-01-05"] * 700 + ["2025-02-10"] * 250 + ["2025-03-01"] * 49 + [""])
    idx = fit_sample_indices(dates, 200, seed=1)
    assert len(idx) == 200 and len(set(idx.tolist())) == 200
    months = dates.iloc[idx].str.slice(0, 7).value_counts()
    assert 135 <= months["2025-01"] <= 145 and 45 <= months["2025-02"] <= 55 and months["2025-03"] >= 9
    assert fit_sample_indices(dates, 5000, seed=1) is None
    assert (fit_sample_indices(dates, 200, seed=1) == idx).all()
