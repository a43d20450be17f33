"""Aligning a recomputed map to the old one, on real UMAP maps of the 2024-Q3 archive."""

from __future__ import annotations

import numpy as np
import pytest
from identity_data import archive, map_2d, recluster

from analysis.layout import align_map, fit_similarity


def turn(xy: np.ndarray, degrees: float, scale: float, shift: tuple[float, float], mirror: bool) -> np.ndarray:
    a = np.radians(degrees)
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    if mirror:
        rot = rot @ np.diag([1.0, -1.0])
    return scale * xy @ rot + np.asarray(shift)


def radius(xy: np.ndarray) -> float:
    return float(np.sqrt(((xy - xy.mean(axis=0)) ** 2).sum(axis=1).mean()))


def rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(((a - b) ** 2).sum(axis=1).mean()))


@pytest.fixture(scope="module")
def q3(shared_data, cache_dir):
    return archive(shared_data, cache_dir, "2024-Q3")


@pytest.fixture(scope="module")
def old_map(q3, cache_dir):
    return map_2d(q3.vectors, 42, cache_dir).astype(np.float64)


def test_a_turned_mirrored_scaled_shifted_copy_is_undone_exactly(old_map):
    moved = turn(old_map, 130, 2.5, (7.0, -3.0), mirror=True)
    t = fit_similarity(moved, old_map)
    assert t.reflected and t.scale == pytest.approx(1 / 2.5)
    assert np.abs(t.apply(moved) - old_map).max() < 1e-4 and t.error < 1e-5
    kept = fit_similarity(moved, old_map, allow_reflection=False)  # a rotation cannot undo a mirror
    assert not kept.reflected and kept.error > 0.3


def test_papers_that_moved_do_not_drag_the_rest(old_map):
    rng = np.random.default_rng(0)
    moved = turn(old_map, -40, 0.5, (1.0, 2.0), mirror=False)
    strays = rng.choice(len(moved), size=len(moved) // 15, replace=False)
    moved[strays] = moved[rng.permutation(strays)]  # a few papers jumped to where others were
    rest = np.setdiff1d(np.arange(len(moved)), strays)
    trimmed = fit_similarity(moved, old_map, trim=0.1)
    plain = fit_similarity(moved, old_map, trim=0.0)
    assert rms(trimmed.apply(moved)[rest], old_map[rest]) < 1e-3 * radius(old_map)
    assert rms(plain.apply(moved)[rest], old_map[rest]) > 0.03 * radius(old_map)


def test_a_recomputed_map_keeps_every_topic_where_it_was(q3, old_map, cache_dir):
    topics = recluster(q3.vectors, 42, cache_dir)
    new_map = turn(map_2d(q3.vectors, 7, cache_dir), 200, 3.0, (-5.0, 4.0), mirror=True)  # another seed, any pose
    aligned, t = align_map(new_map, q3.ids, old_map, q3.ids)
    r = radius(old_map)
    assert rms(aligned, old_map) / r < 0.25 < rms(new_map, old_map) / r
    ids = sorted(set(topics.tolist()))
    old_c = np.array([old_map[topics == k].mean(axis=0) for k in ids])
    new_c = np.array([aligned[topics == k].mean(axis=0) for k in ids])
    shift = np.linalg.norm(old_c - new_c, axis=1) / r
    assert np.median(shift) < 0.1 and shift.max() < 0.3
    nearest_old = [int(np.linalg.norm(old_c - c, axis=1).argmin()) for c in new_c]
    assert nearest_old == list(range(len(ids)))  # no topic lands where another one was
    assert set(t.to_dict()) == {"scale", "rotation", "translation", "reflected", "error"}


def test_added_papers_move_with_the_map_and_anchors_choose_what_is_fitted(q3, old_map, cache_dir):
    new_ids = np.concatenate([q3.ids, ["added-1", "added-2"]])
    new_map = turn(np.vstack([old_map, [[0.0, 0.0], [1.0, 1.0]]]), 75, 1.7, (2.0, 2.0), mirror=False)
    aligned, t = align_map(new_map, new_ids, old_map, q3.ids)
    assert aligned.shape == (len(q3) + 2, 2)
    assert np.abs(aligned[-2:] - [[0.0, 0.0], [1.0, 1.0]]).max() < 1e-3  # the same transform, applied to all
    anchors = list(q3.ids[:50])
    _, fitted = align_map(new_map, new_ids, old_map, q3.ids, anchors=anchors)
    direct = fit_similarity(new_map[:50], old_map[:50])
    assert fitted.scale == pytest.approx(direct.scale) and np.allclose(fitted.rotation, direct.rotation)
    with pytest.raises(ValueError):
        align_map(new_map, new_ids, old_map, q3.ids, anchors=["added-1", "added-2"])
