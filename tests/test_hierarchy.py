"""Broad areas above the topics (analysis/hierarchy.py) on real runs: the seed page and the 2024-Q2 archive.

Every fine topic sits in exactly one area, the tables agree, the 2024-Q2
run gets 5-12 areas, a small run gets one area per topic, and areas follow
a curation edit and an ``add``.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from test_growth import quarter

from analysis.config import HierarchyConfig
from analysis.corpus import texts_of
from analysis.edits import apply_edit
from analysis.growth import add_papers
from analysis.hierarchy import TopicHierarchy, ward_merges
from analysis.rundir import load_run, load_vectors


def check_areas(run) -> None:
    """One area per fine topic, the same in papers, topics, the CSVs and the area trends."""
    per_topic = run.papers.groupby("topic_id")["coarse_id"].nunique()
    assert (per_topic == 1).all()
    topics = run.topics.set_index("topic_id")
    assert (run.papers["coarse_id"] == run.papers["topic_id"].map(topics["coarse_id"])).all()
    assert (run.papers["coarse_label"] == run.papers["topic_id"].map(topics["coarse_label"])).all()
    assert run.papers["coarse_label"].str.len().gt(0).all()
    labels = run.topics.drop_duplicates("coarse_id").set_index("coarse_id")["coarse_label"]
    assert labels.is_unique  # two areas never read the same
    csv = pd.read_csv(run.path / "papers.csv")
    assert csv["coarse_id"].tolist() == run.papers["coarse_id"].tolist()
    assert pd.read_csv(run.path / "topics.csv")["coarse_label"].tolist() == run.topics["coarse_label"].tolist()
    month = run.trends[(run.trends["period"] == "month") & (run.trends["kind"] == "area")]
    counts = month.groupby("key")["count"].sum()
    dated = run.papers[run.papers["date"] != ""]
    assert dict(counts.rename(int)) == dict(dated["coarse_id"].value_counts())


def test_every_topic_of_the_seed_run_is_in_one_area(run):
    check_areas(run)
    n_topics = run.topics["topic_id"].nunique()
    assert 1 <= run.papers["coarse_id"].nunique() <= n_topics
    assert run.meta["counts"]["areas"] == run.papers["coarse_id"].nunique()


def test_the_q2_run_has_5_to_12_areas_grouping_its_topics(q2_run):
    run = load_run(q2_run)
    check_areas(run)
    n_areas, n_topics = run.papers["coarse_id"].nunique(), run.topics["topic_id"].nunique()
    assert 5 <= n_areas <= 12 and n_areas < n_topics
    assert sorted(run.papers["coarse_id"].unique()) == list(range(n_areas))  # numbered 0.. from the largest
    sizes = run.papers["coarse_id"].value_counts().sort_index()
    assert sizes.is_monotonic_decreasing


def test_a_small_run_gets_one_area_per_topic_and_one_topic_one_area(run):
    vectors = load_vectors(run.path, len(run.papers))
    texts = texts_of(run.papers)
    few = np.minimum(run.papers["topic_id"].to_numpy(), 2)  # three topics
    model = TopicHierarchy().fit(vectors, few, texts)
    assert model.k_ == 3 and sorted(model.area_of_.values()) == [0, 1, 2] and model.silhouette_ is None
    one = TopicHierarchy().fit(vectors, np.zeros(len(texts), dtype=int), texts)
    assert one.k_ == 1 and set(one.areas(np.zeros(3, dtype=int))) == {0} and one.labels_[0]
    grouped = TopicHierarchy(HierarchyConfig(min_areas=2, max_areas=3)).fit(vectors, run.papers["topic_id"], texts)
    assert 2 <= grouped.k_ <= 3 and -1 <= grouped.silhouette_ <= 1


def test_ward_merges_joins_the_closest_small_topics_first():
    points = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.0, 0.2]])
    cuts = ward_merges(points, np.array([10.0, 10.0, 1.0, 1.0]), stop=2)
    assert cuts[3][2] == cuts[3][3] and len(set(cuts[3])) == 3  # the light pair first, though farther apart
    assert cuts[2].tolist() == [0, 0, 1, 1]


@pytest.fixture
def seed_copy(seed_run, tmp_path):
    dest = tmp_path / "run"
    shutil.copytree(seed_run, dest)
    return dest


def test_areas_follow_merges_and_splits(seed_copy):
    before = load_run(seed_copy)
    area = dict(zip(before.topics["topic_id"], before.topics["coarse_id"]))
    a, b = (int(t) for t in before.topics["topic_id"][:2])
    apply_edit(seed_copy, {"kind": "merge", "topic_ids": [b, a]})
    merged = load_run(seed_copy)
    check_areas(merged)
    assert set(merged.papers.loc[merged.papers["topic_id"] == b, "coarse_id"]) == {area[b]}
    summary = apply_edit(seed_copy, {"kind": "split", "topic_id": b, "into": 2})
    split = load_run(seed_copy)
    check_areas(split)
    parts = [int(p["topic_id"]) for p in summary.edit["parts"]]
    assert set(split.topics.set_index("topic_id").loc[parts, "coarse_id"]) == {area[b]}


def test_added_papers_get_their_topics_area(seed_copy, shared_data, cache_dir, tmp_path):
    batch = tmp_path / "batch.jsonl"
    quarter(shared_data, "2024-Q3").head(8).to_json(batch, orient="records", lines=True)
    add_papers(seed_copy, [batch], cache_dir=cache_dir)
    grown = load_run(seed_copy)
    check_areas(grown)
    new = grown.papers[grown.papers["added_in"] == 1]
    assert len(new) == 8
    area = dict(zip(grown.topics["topic_id"], grown.topics["coarse_id"]))
    assert (new["coarse_id"] == new["topic_id"].map(area)).all()


def test_a_refit_recomputes_the_areas_and_keeps_the_topic_ids(seed_copy, cache_dir):
    from analysis.growth import refit_run

    before = load_run(seed_copy)
    matching, summary = refit_run(seed_copy, cache_dir=cache_dir)
    after = load_run(seed_copy)
    check_areas(after)
    assert summary["share_kept"] > 0.5  # the same papers and seed: the topics come back under their ids
    kept = set(before.topics["topic_id"]) & set(after.topics["topic_id"])
    assert kept and set(after.topics["topic_id"]) <= set(after.meta["used_ids"])
