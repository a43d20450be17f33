"""Placing papers among fitted topics: the nearest topic centroid, and a map position among fitted papers.

One nearest-centroid rule serves every place a paper gets a topic it was not
clustered into: HDBSCAN's outliers (in the clustering space, by distance),
papers outside a fitting sample and papers assigned to a finished run (in
the embedding space, by cosine to unit centroids).
"""

from __future__ import annotations

import numpy as np

from .config import ASSIGN_BLOCK_CELLS


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero)."""
    return matrix / (np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-12)


def topic_centroids(vectors: np.ndarray, labels: np.ndarray, unit: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(topic ids in ascending order, the mean vector of each topic's papers); outliers (-1) have none.

    ``unit`` scales the means to length 1, for cosine similarity.
    """
    labels = np.asarray(labels)
    ids = np.array(sorted(t for t in set(labels.tolist()) if t != -1), dtype=int)
    if not len(ids):
        return ids, np.empty((0, vectors.shape[1]), dtype=vectors.dtype)
    centroids = np.vstack([vectors[labels == t].mean(axis=0) for t in ids])
    return ids, unit_rows(centroids) if unit else centroids


def nearest_centroid(vectors: np.ndarray, centroids: np.ndarray, ids: np.ndarray,
                     metric: str = "cosine") -> np.ndarray:
    """The id of each vector's nearest centroid.

    ``"cosine"`` expects unit vectors and unit centroids (most similar wins);
    ``"euclidean"`` is the squared distance in a space like UMAP's.
    """
    if metric == "cosine":
        best = (vectors @ centroids.T).argmax(axis=1)
    elif metric == "euclidean":
        best = ((vectors[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=-1).argmin(axis=1)
    else:
        raise ValueError(f"unknown metric {metric!r} (use 'cosine' or 'euclidean')")
    return np.asarray(ids)[best]


#: How many of the most similar fitted papers place a new one (its map position, its topic's vote).
NEIGHBOURS = 10


def nearest_rows(vectors: np.ndarray, ref_vectors: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """(indices, cosines) of each vector's ``k`` most similar reference rows (unit vectors), in no order."""
    sims = vectors @ ref_vectors.T
    k = min(k, ref_vectors.shape[0])
    nn = np.argpartition(-sims, kth=k - 1, axis=1)[:, :k]
    return nn, np.take_along_axis(sims, nn, axis=1)


def map_positions(vectors: np.ndarray, sample_vectors: np.ndarray, sample_xy: np.ndarray,
                  k: int = NEIGHBOURS) -> np.ndarray:
    """Map position of new papers: the similarity-weighted mean of their ``k`` most similar fitted papers.

    The 2-D layout stays the one fitted; new papers land among their neighbours.
    """
    nn, sims = nearest_rows(vectors, sample_vectors, k)
    w = np.clip(sims, 1e-6, None)
    xy = (sample_xy[nn] * w[..., None]).sum(axis=1) / w.sum(axis=1, keepdims=True)
    return xy.astype(np.float32)


def neighbour_topics(vectors: np.ndarray, ref_vectors: np.ndarray, ref_topics: np.ndarray,
                     k: int = NEIGHBOURS) -> np.ndarray:
    """Each vector's topic by a similarity-weighted vote of its ``k`` most similar fitted papers.

    HDBSCAN's clusters follow the neighbourhood graph UMAP builds, not a
    centre: a paper joins the cluster its neighbours are in, however far that
    cluster's mean lies. Voting neighbours reproduce the clustering better
    than the nearest centroid (docs/identity.md has the figures); outliers
    (-1) do not vote, and a paper whose neighbours are all outliers gets -1.
    """
    ref_topics = np.asarray(ref_topics, dtype=int)
    nn, sims = nearest_rows(vectors, ref_vectors, k)
    ids = np.unique(ref_topics[ref_topics >= 0])
    if not len(ids):
        return np.full(len(vectors), -1, dtype=int)
    votes = np.zeros((len(vectors), len(ids)))
    voter = ref_topics[nn]
    w = np.where(voter >= 0, np.clip(sims, 0.0, None), 0.0)
    rows = np.repeat(np.arange(len(vectors)), nn.shape[1])
    np.add.at(votes, (rows, np.searchsorted(ids, np.maximum(voter, ids[0])).ravel()), w.ravel())
    best = ids[votes.argmax(axis=1)]
    return np.where(votes.max(axis=1) > 0, best, -1).astype(int)


def block_rows(n_fitted: int, cells: int = ASSIGN_BLOCK_CELLS) -> int:
    """Papers placed at once against ``n_fitted`` papers: a block's similarity matrix stays near ``cells``."""
    return max(64, int(cells) // max(int(n_fitted), 1))


def place(vectors: np.ndarray, centroids: np.ndarray, ids: np.ndarray, sample_vectors: np.ndarray,
          sample_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Topic (nearest unit centroid) and map position for papers outside the fitting sample.

    One block of papers; the engines run blocks in parallel (:mod:`analysis.engines`).
    """
    return nearest_centroid(vectors, centroids, ids), map_positions(vectors, sample_vectors, sample_xy)
