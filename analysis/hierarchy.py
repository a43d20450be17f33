"""Broad areas above the fine topics: "computer vision" above "text-to-video generation".

:class:`TopicHierarchy` groups the fine topics into 5-12 coarse areas by
agglomerative clustering of the topics' unit centroids (size-weighted Ward,
so a large topic pulls its area's centre and tiny topics join a neighbour
rather than standing alone), with the number of areas chosen by silhouette.
Each area's label comes from the c-TF-IDF of its papers' texts, so it says
what the area's papers share rather than repeating a fine label.

Areas hang off the fine topics: a paper's area is its topic's area. So every
fine topic belongs to exactly one area, ``add`` gives new papers their topic's
area, and curation (at the fine level) carries areas along (:func:`carry_areas`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import HierarchyConfig
from .placement import topic_centroids
from .topics import make_label, make_vectorizer

NOISE = -1
#: The coarse level's columns in papers.csv and topics.csv.
COARSE_COLUMNS = ["coarse_id", "coarse_label"]
OUTLIER_AREA = "Outliers"


def ward_merges(centroids: np.ndarray, weights: np.ndarray, stop: int) -> dict[int, np.ndarray]:
    """Size-weighted Ward clustering of ``centroids``: the cluster of each row at every count from len to ``stop``.

    Merging A and B costs ``wA wB / (wA + wB) * |cA - cB|^2``, the rise in
    within-cluster variance when each centroid stands for its topic's papers.
    """
    n = len(centroids)
    members = [[i] for i in range(n)]
    cents = [np.asarray(c, dtype=np.float64) for c in centroids]
    w = [float(x) for x in weights]
    cuts = {n: np.arange(n)}
    while len(members) > max(stop, 1):
        c = np.vstack(cents)
        wt = np.asarray(w)
        dist = ((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=-1)
        cost = wt[:, None] * wt[None, :] / (wt[:, None] + wt[None, :]) * dist
        cost[np.diag_indices_from(cost)] = np.inf
        i, j = sorted(np.unravel_index(int(np.argmin(cost)), cost.shape))
        cents[i] = (w[i] * cents[i] + w[j] * cents[j]) / (w[i] + w[j])
        w[i] += w[j]
        members[i] += members[j]
        del members[j], cents[j], w[j]
        labels = np.empty(n, dtype=int)
        for k, group in enumerate(members):
            labels[group] = k
        cuts[len(members)] = labels
    return cuts


def weighted_silhouette(points: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    """Silhouette (cosine) of the topic centroids, each counted by its topic's size."""
    from sklearn.metrics import silhouette_samples

    if len(set(labels.tolist())) < 2 or len(set(labels.tolist())) >= len(labels):
        return -1.0
    return float(np.average(silhouette_samples(points, labels, metric="cosine"), weights=weights))


class TopicHierarchy:
    """Estimator: fine topics -> coarse areas, with a label per area.

    ``fit(vectors, topics, texts)`` takes every paper's vector, fine topic and
    text. Fitted attributes: ``area_of_`` (fine topic id -> area id, outliers
    -> -1), ``labels_`` (area id -> label), ``k_`` (areas) and ``silhouette_``
    (of the chosen cut; None when there was no choice). Areas are numbered
    0.. from the largest. With fewer fine topics than the smallest number of
    areas each topic is its own area: there is nothing to group.
    """

    def __init__(self, config: HierarchyConfig = HierarchyConfig()):
        self.config = config

    def fit(self, vectors: np.ndarray, topics: np.ndarray, texts: list[str]) -> TopicHierarchy:
        topics = np.asarray(topics, dtype=int)
        ids, centroids = topic_centroids(np.asarray(vectors, dtype=np.float32), topics, unit=True)
        sizes = np.array([(topics == t).sum() for t in ids], dtype=float)
        lo, hi = self.config.min_areas, self.config.max_areas
        self.silhouette_ = None
        if len(ids) <= lo:
            groups = np.arange(len(ids))
        else:
            cuts = ward_merges(centroids, sizes, stop=lo)
            scores = {k: weighted_silhouette(centroids, cuts[k], sizes) for k in range(lo, min(hi, len(ids) - 1) + 1)}
            best = max(scores, key=lambda k: (round(scores[k], 6), -k))
            groups, self.silhouette_ = cuts[best], round(scores[best], 4)
        groups = _by_size(groups, sizes)
        self.area_of_ = {int(t): int(g) for t, g in zip(ids, groups)}
        if (topics == NOISE).any():
            self.area_of_[NOISE] = NOISE
        self.k_ = len(set(groups.tolist()))
        self.labels_ = area_labels(texts, self.areas(topics), self.config.label_words)
        return self

    def areas(self, topics) -> np.ndarray:
        """The area of each paper, from its fine topic (an unknown topic: -1)."""
        return np.array([self.area_of_.get(int(t), NOISE) for t in topics], dtype=int)


def _by_size(groups: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Area numbers 0.. from the area with most papers (ties by first topic)."""
    totals = {g: sizes[groups == g].sum() for g in dict.fromkeys(groups.tolist())}
    order = {g: i for i, g in enumerate(sorted(totals, key=lambda g: -totals[g]))}
    return np.array([order[g] for g in groups.tolist()], dtype=int)


def area_labels(texts: list[str], areas: np.ndarray, words: int = 3) -> dict[int, str]:
    """A label per area from the c-TF-IDF of its papers (BERTopic's weighting), distinct across areas."""
    ids = sorted(set(areas.tolist()) - {NOISE})
    labels = {NOISE: OUTLIER_AREA} if NOISE in set(areas.tolist()) else {}
    if not ids:
        return labels
    vectorizer = make_vectorizer(len(texts))
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # every word a stop word (a tiny corpus): number the areas
        return labels | {a: f"Area {a}" for a in ids}
    vocab = np.asarray(vectorizer.get_feature_names_out())
    per_area = np.vstack([np.asarray(counts[areas == a].sum(axis=0)).ravel() for a in ids]).astype(float)
    tf = per_area / np.maximum(per_area.sum(axis=1, keepdims=True), 1.0)
    idf = np.log(1 + per_area.sum(axis=1).mean() / np.maximum(per_area.sum(axis=0), 1.0))
    score = tf * idf
    seen: set[str] = set()
    for row, a in enumerate(ids):
        top = [str(vocab[i]) for i in np.argsort(-score[row], kind="stable")[:30] if score[row, i] > 0]
        label = make_label(top, words) if top else f"Area {a}"
        labels[a] = label if label not in seen else f"{label} ({a})"
        seen.add(labels[a])
    return labels


# ---------------------------------------------------------------- areas on a run's tables


def with_paper_areas(papers: pd.DataFrame, topics: pd.DataFrame) -> pd.DataFrame:
    """``papers`` with each paper's area taken from its topic's row in ``topics`` (a new frame).

    A run written before areas existed (no ``coarse_id`` in ``topics``) is returned as it is.
    """
    if "coarse_id" not in topics:
        return papers
    by_topic = topics.set_index(topics["topic_id"].astype(int))
    tid = papers["topic_id"].astype(int)
    return papers.assign(coarse_id=tid.map(by_topic["coarse_id"]).fillna(NOISE).astype(int).to_numpy(),
                         coarse_label=tid.map(by_topic["coarse_label"]).fillna(OUTLIER_AREA).astype(str).to_numpy())


def with_topic_areas(topics: pd.DataFrame, papers: pd.DataFrame) -> pd.DataFrame:
    """``topics`` with each topic's area taken from its papers (a topic's papers all share one area)."""
    if "coarse_id" not in papers:
        return topics
    first = papers.drop_duplicates("topic_id").set_index(papers.drop_duplicates("topic_id")["topic_id"].astype(int))
    tid = topics["topic_id"].astype(int)
    return topics.assign(coarse_id=tid.map(first["coarse_id"]).fillna(NOISE).astype(int).to_numpy(),
                         coarse_label=tid.map(first["coarse_label"]).fillna(OUTLIER_AREA).astype(str).to_numpy())


def assign_areas(papers: pd.DataFrame, vectors: np.ndarray, texts: list[str],
                 config: HierarchyConfig = HierarchyConfig()) -> tuple[pd.DataFrame, TopicHierarchy]:
    """Fit the hierarchy on a run's papers and give each paper its area (a new frame)."""
    model = TopicHierarchy(config).fit(vectors, papers["topic_id"].to_numpy(), texts)
    areas = model.areas(papers["topic_id"].to_numpy())
    return papers.assign(coarse_id=areas, coarse_label=[model.labels_[a] for a in areas]), model
