"""Fit scores and the novel flag, calibrated on a real run (the 2024-Q3 archive), tried on papers it has not seen."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from identity_data import archive, labelled, recluster

from analysis.config import auto_min_topic_size
from analysis.identity import centroid_map, match_topics
from analysis.novelty import NoveltyModel, leave_one_out_scores, pile_up


@pytest.fixture(scope="module")
def q3(shared_data, cache_dir):
    return archive(shared_data, cache_dir, "2024-Q3")


@pytest.fixture(scope="module")
def q4(shared_data, cache_dir):
    return archive(shared_data, cache_dir, "2024-Q4")


@pytest.fixture(scope="module")
def topics(q3, cache_dir):
    return recluster(q3.vectors, 42, cache_dir)


@pytest.fixture(scope="module")
def model(q3, topics):
    return NoveltyModel().fit(q3.vectors, topics)


@pytest.fixture(scope="module")
def info_theory(shared_data, cache_dir, tmp_path_factory):
    """Information-theory papers (arXiv cs.IT): a subject the Daily Papers of 2024 hardly ever feature."""
    return labelled(shared_data, cache_dir, "cs.IT", 60, tmp_path_factory.mktemp("cs-it"))


def test_leave_one_out_scores_compare_a_member_with_its_topic_without_it(q3, topics):
    loo = leave_one_out_scores(q3.vectors, topics)
    assert not np.isnan(loo).any()
    for i in (0, 17, 400):
        others = (topics == topics[i]) & (np.arange(len(topics)) != i)
        centroid = q3.vectors[others].mean(axis=0)
        assert loo[i] == pytest.approx(q3.vectors[i] @ centroid / np.linalg.norm(centroid), abs=1e-5)


def test_thresholds_are_each_topics_low_percentile_pulled_towards_the_run_wide_one(q3, topics, model):
    loo = leave_one_out_scores(q3.vectors, topics)
    raw = NoveltyModel(shrinkage=0).fit(q3.vectors, topics)
    flat = NoveltyModel(shrinkage=1e9).fit(q3.vectors, topics)
    for k, t in enumerate(model.ids_):
        assert raw.thresholds_[k] == pytest.approx(np.percentile(loo[topics == t], 5))
        lo, hi = sorted([raw.thresholds_[k], model.global_threshold_])
        assert lo - 1e-9 <= model.thresholds_[k] <= hi + 1e-9
    assert flat.thresholds_ == pytest.approx(np.full(len(model.ids_), model.global_threshold_), abs=1e-6)
    assert json.loads(json.dumps(model.to_dict()))["percentile"] == 5.0


def test_papers_like_the_runs_own_are_rarely_novel(q4, model):
    later = q4.vectors[:300]  # the next quarter's papers, the same stream
    novel = model.novel(later)
    assert 0.0 < novel.mean() <= 0.1  # about the 5% the percentile allows
    nearest, score = model.nearest(later)
    sims = later @ model.centroids_.T
    assert (nearest == model.ids_[sims.argmax(axis=1)]).all() and np.allclose(score, sims.max(axis=1))
    assert (novel == (sims < model.thresholds_).all(axis=1)).all()


def test_ordinary_days_call_for_no_refit(q3, q4, model):
    mts = auto_min_topic_size(len(q3))
    days = sorted(set(q4.dates.tolist()))[:8]
    for day in days:
        batch = q4.vectors[q4.dates == day]
        verdict = pile_up(batch, model.novel(batch), model, min_topic_size=mts)
        assert not verdict.suggest_refit and verdict.message == "", (day, verdict)
    month = q4.vectors[:300]
    assert not pile_up(month, model.novel(month), model, min_topic_size=mts).suggest_refit


def test_a_new_subject_is_novel_and_a_refit_is_suggested(q3, q4, model, info_theory):
    mts = auto_min_topic_size(len(q3))
    novel = model.novel(info_theory.vectors)
    assert novel.mean() >= 0.8
    batch = np.vstack([q4.vectors[:40], info_theory.vectors])
    verdict = pile_up(batch, model.novel(batch), model, min_topic_size=mts, run_name="runs/weekly")
    assert verdict.suggest_refit and len(verdict.group) >= mts
    assert all(i >= 40 for i in verdict.group)  # the close group is the new subject's papers
    assert "\n" not in verdict.message and "close together" in verdict.message
    assert verdict.message.startswith(f"{verdict.n_novel} of the 100 papers added")
    assert verdict.message.endswith("(python -m analysis refit runs/weekly)")


def test_novel_papers_are_the_ones_a_refit_puts_into_new_topics(q3, topics, model, info_theory, cache_dir):
    vectors = np.vstack([q3.vectors, info_theory.vectors])
    ids = np.concatenate([q3.ids, info_theory.ids])
    refit = recluster(vectors, 42, cache_dir)
    m = match_topics(pd.Series(topics, index=q3.ids), pd.Series(refit, index=ids),
                     centroid_map(q3.vectors, topics), centroid_map(vectors, refit))
    placed = m.apply(refit)[len(q3):]
    novel = model.novel(info_theory.vectors)
    in_born = np.isin(placed, m.event["born"])
    assert m.event["born"] and in_born[novel].mean() >= 0.8
    assert m.share_kept >= 0.7  # the old topics are still there for the old papers
