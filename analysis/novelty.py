"""How well a new paper fits the run's topics, and when papers that fit none pile up.

A paper added to a run always gets its nearest topic; ``novel`` says that it
fits none of them as well as the topics' own members do. The threshold is
calibrated on the run itself (``docs/identity.md`` says how and why): a
paper is novel when it is farther from every topic's centroid than that
topic's least typical members (a low percentile of their leave-one-out
cosines). When novel papers pile up, a new subject is likely appearing and a
refit is suggested.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .identity import NOISE
from .placement import topic_centroids


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def leave_one_out_scores(embeddings: np.ndarray, topics: np.ndarray) -> np.ndarray:
    """Cosine of each member to its topic's centroid computed without it (NaN for noise and singletons).

    A new paper is not part of the centroid it is compared with; a member is,
    which flatters it (by ~1/size in a small topic). Leaving it out compares like with like.
    """
    out = np.full(len(topics), np.nan)
    for t in set(topics.tolist()) - {NOISE}:
        idx = np.flatnonzero(topics == t)
        if len(idx) < 2:
            continue
        rest = embeddings[idx].sum(axis=0)[None, :] - embeddings[idx]
        out[idx] = (embeddings[idx] * _unit(rest)).sum(axis=1)
    return out


class NoveltyModel:
    """Fit scores and the ``novel`` flag for papers placed on an existing run.

    ``fit`` takes the vectors and topics of the papers the topics were fitted
    on (the build's or last refit's papers, not later additions, so the
    threshold does not drift as papers are added).

    ``percentile``: a topic's threshold is this percentile of its members'
    leave-one-out cosines, so about that share of papers like the existing
    ones are flagged (the false-alarm rate). ``shrinkage``: a small topic's
    percentile is noisy, so it is pulled towards the run-wide one as if
    ``shrinkage`` papers at the run-wide value were added to it.
    """

    def __init__(self, percentile: float = 5.0, shrinkage: float = 20.0):
        self.percentile = percentile
        self.shrinkage = shrinkage

    def fit(self, embeddings: np.ndarray, topics) -> NoveltyModel:
        topics = np.asarray(topics, dtype=int)
        self.ids_, centroids = topic_centroids(embeddings, topics, unit=True)
        if not len(self.ids_):
            raise ValueError("no topics to calibrate on")
        self.centroids_ = centroids.astype(np.float32)
        loo = leave_one_out_scores(embeddings, topics)
        pooled = loo[~np.isnan(loo)]
        self.global_threshold_ = float(np.percentile(pooled, self.percentile)) if len(pooled) else 0.0
        thresholds = []
        for t in self.ids_.tolist():
            own = loo[(topics == t) & ~np.isnan(loo)]
            q = float(np.percentile(own, self.percentile)) if len(own) else self.global_threshold_
            thresholds.append((len(own) * q + self.shrinkage * self.global_threshold_) / (len(own) + self.shrinkage))
        self.thresholds_ = np.array(thresholds)
        return self

    def similarities(self, embeddings: np.ndarray) -> np.ndarray:
        return np.asarray(embeddings) @ self.centroids_.T

    def nearest(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(nearest topic id, its cosine: the fit score) for each vector."""
        sims = self.similarities(embeddings)
        best = sims.argmax(axis=1)
        return self.ids_[best], sims[np.arange(len(sims)), best]

    def fit_scores(self, embeddings: np.ndarray, topics) -> np.ndarray:
        """Each vector's cosine to the centroid of the topic it was given (0 for a topic without one)."""
        sims = self.similarities(embeddings)
        col = {int(t): i for i, t in enumerate(self.ids_)}
        idx = np.array([col.get(int(t), -1) for t in topics], dtype=int)
        return np.where(idx >= 0, sims[np.arange(len(sims)), np.maximum(idx, 0)], 0.0)

    def novel(self, embeddings: np.ndarray) -> np.ndarray:
        """True where the paper clears no topic's threshold: it fits none of them well."""
        return (self.similarities(embeddings) < self.thresholds_[None, :]).all(axis=1)

    def to_dict(self) -> dict:
        """The calibration, JSON-able (for run.json); centroids are not included."""
        return {"percentile": self.percentile, "shrinkage": self.shrinkage,
                "global_threshold": round(self.global_threshold_, 4),
                "thresholds": {int(t): round(float(v), 4) for t, v in zip(self.ids_, self.thresholds_)}}


def largest_group(embeddings: np.ndarray, bar: float, seed_size: int, max_seeds: int = 500) -> np.ndarray:
    """Indices of the largest set of vectors that fit one common centroid at cosine >= ``bar``.

    Each vector in turn (up to ``max_seeds`` of them, evenly spread) seeds a
    candidate centroid with its ``seed_size`` nearest neighbours; the
    candidate's group is every vector that fits it.
    """
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=int)
    sims = embeddings @ embeddings.T
    k = min(seed_size, n)
    best = np.zeros(0, dtype=int)
    for i in np.unique(np.linspace(0, n - 1, min(n, max_seeds)).astype(int)):
        seed = np.argsort(-sims[i], kind="stable")[:k]
        members = np.flatnonzero(embeddings @ _unit(embeddings[seed].mean(axis=0)) >= bar)
        if len(members) > len(best):
            best = members
    return best


@dataclass(frozen=True)
class PileUp:
    """Novel papers among the recent additions, and whether a refit is worth suggesting."""

    n_recent: int
    n_novel: int
    group: list[int]  # indices (into the recent papers) of the largest close group of novel papers
    suggest_refit: bool
    message: str  # "" when there is nothing to say

    @property
    def share(self) -> float:
        return self.n_novel / self.n_recent if self.n_recent else 0.0


def pile_up(embeddings: np.ndarray, novel: np.ndarray, model: NoveltyModel, *, min_topic_size: int,
            share_factor: float = 3.0, min_novel: int = 5, run_name: str = "RUN_DIR") -> PileUp:
    """Do the novel papers among ``embeddings`` (the papers added since the last fit) call for a refit?

    Yes when either
    - at least ``min_topic_size`` of them fit one common centroid as well as
      the run-wide threshold asks of a topic's members: a topic the run does not have yet; or
    - at least ``min_novel`` are novel and their share is ``share_factor``
      times the false-alarm rate (the model's percentile): the stream has
      drifted away from the topics even if no one subject stands out.
    """
    novel = np.asarray(novel, dtype=bool)
    idx = np.flatnonzero(novel)
    group = idx[largest_group(np.asarray(embeddings)[idx], model.global_threshold_, max(2, min_topic_size))]
    n, k = len(novel), len(idx)
    drift = k >= min_novel and k >= share_factor * model.percentile / 100 * n
    together = len(group) >= max(2, min_topic_size)
    if not (drift or together):
        return PileUp(n, k, group.tolist(), False, "")
    close = f", {len(group)} of them close together (a new subject?)" if together else ""
    message = (f"{k} of the {n} papers added since the last fit ({k / n:.0%}) fit no topic well{close}: "
               f"a refit would give them topics of their own (python -m analysis refit {run_name})")
    return PileUp(n, k, group.tolist(), True, message)
