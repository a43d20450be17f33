"""Dimensionality reduction: UMAP for the clustering space and for the 2-D map.

Both reductions share one nearest-neighbour graph (the expensive part of
UMAP), and each result is cached on disk keyed by the embeddings, the
parameters and the seed, so a rebuild with another topic size or other
themes never runs UMAP again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .config import ReduceConfig, auto_n_neighbors
from .patches import persist_umap_jit


def array_digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr, dtype=np.float32).tobytes()).hexdigest()


class ReductionCache:
    """Reduced vectors as checksummed .npz files, written atomically; damaged ones are reported and redone.

    ``extra_dirs`` are read-only folders of entries searched after ``root``: the demo's UMAP results
    shipped in ``data/demo_state/reduced``. An entry there is only ever found under the key the code
    computes now (embeddings, parameters, seed), so a change to any of them recomputes.
    """

    def __init__(self, root: Path | str | None, extra_dirs: Sequence[Path] = ()):
        self.root = Path(root) / "reduced" if root else None
        self.extra_dirs = [Path(d) for d in extra_dirs]
        self.problems: list[str] = []

    def _path(self, key: str) -> Path | None:
        return self.root / f"{key}.npz" if self.root else None

    def get(self, key: str, n: int) -> np.ndarray | None:
        own = self._path(key)
        for path in [own, *(d / f"{key}.npz" for d in self.extra_dirs)]:
            if path is not None and path.exists():
                arr = self._read(path, writable=path == own)
                if arr is not None:
                    return arr if arr.shape[0] == n and np.isfinite(arr).all() else None
        return None

    def _read(self, path: Path, writable: bool) -> np.ndarray | None:
        try:
            with np.load(path, allow_pickle=False) as z:
                arr, check = z["reduced"], str(z["checksum"])
            if arr.dtype != np.float32 or hashlib.sha256(arr.tobytes()).hexdigest() != check:
                raise ValueError("checksum mismatch")
        except Exception as exc:  # any damage: report, drop (never a shipped file), recompute
            self.problems.append(f"damaged reduction cache entry {path.name} ({type(exc).__name__}); recomputing")
            if writable:
                path.unlink(missing_ok=True)
            return None
        return arr

    def put(self, key: str, arr: np.ndarray) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, reduced=arr, checksum=np.array(hashlib.sha256(arr.tobytes()).hexdigest()))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _fallback(embeddings: np.ndarray, n_components: int) -> np.ndarray:
    """Tiny corpora (UMAP needs a few neighbours): PCA, padded with zeros."""
    n = embeddings.shape[0]
    out = np.zeros((n, n_components), dtype=np.float32)
    if n >= 2:
        centred = embeddings - embeddings.mean(axis=0)
        u, s, _ = np.linalg.svd(centred, full_matrices=False)
        k = min(n_components, u.shape[1])
        out[:, :k] = (u[:, :k] * s[:k]).astype(np.float32)
    return out


#: Up to this many papers the neighbour graph is computed exactly with matrix products:
#: faster than pynndescent's JIT compile on small corpora, and seed-independent.
EXACT_KNN_MAX = 40_000


def exact_cosine_knn(embeddings: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours by cosine distance (each point is its own first neighbour, as UMAP expects)."""
    x = embeddings / (np.linalg.norm(embeddings, axis=1, keepdims=True) + 1e-12)
    x = x.astype(np.float32)
    n = x.shape[0]
    idx = np.empty((n, k), dtype=np.int32)
    dist = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        sims = x[start:start + block] @ x.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = np.inf  # self first, whatever ties exist
        part = np.argpartition(-sims, kth=min(k, n - 1) - 1, axis=1)[:, :k]
        psims = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -psims), axis=1)
        idx[start:start + block] = np.take_along_axis(part, order, axis=1)
        top = np.take_along_axis(psims, order, axis=1)
        top[:, 0] = 1.0
        dist[start:start + block] = np.clip(1.0 - top, 0.0, 2.0)
    return idx, dist


class Reducer:
    """Computes (and caches) the clustering-space and 2-D map projections.

    ``cache_hits`` and ``computed`` count the projections read from the cache
    and the ones UMAP made, so run.json can say whether UMAP ran at all.
    """

    def __init__(self, config: ReduceConfig = ReduceConfig(), seed: int = 42, cache: ReductionCache | None = None):
        self.config = config
        self.seed = seed
        self.cache = cache or ReductionCache(None)
        self.cache_hits = 0
        self.computed = 0
        self._knn = None

    def n_neighbors(self, n: int) -> int:
        return min(self.config.n_neighbors or auto_n_neighbors(n), n - 1)

    def _key(self, digest: str, n: int, n_components: int, min_dist: float) -> str:
        c = self.config
        params = [digest, n_components, min_dist, self.n_neighbors(n), c.metric, self.seed, "umap-0.5"]
        if c.n_epochs is not None:  # absent when unset, so existing cache entries stay valid
            params.append(c.n_epochs)
        params = json.dumps(params)
        return hashlib.sha256(params.encode()).hexdigest()[:32]

    def _neighbours(self, embeddings: np.ndarray, n_neighbors: int):
        if self._knn is None:
            if embeddings.shape[0] <= EXACT_KNN_MAX and self.config.metric == "cosine":
                idx, dists = exact_cosine_knn(embeddings, n_neighbors)
            else:
                from umap.umap_ import nearest_neighbors

                idx, dists, _ = nearest_neighbors(embeddings, n_neighbors=n_neighbors, metric=self.config.metric,
                                                  metric_kwds={}, angular=False,
                                                  random_state=np.random.RandomState(self.seed))
            self._knn = (idx, dists, None)
        return self._knn

    def transform(self, embeddings: np.ndarray, n_components: int, min_dist: float) -> np.ndarray:
        """The embeddings in ``n_components`` dimensions: from the cache, else computed and cached."""
        n = embeddings.shape[0]
        key = self._key(array_digest(embeddings), n, n_components, min_dist)
        cached = self.cache.get(key, n)
        if cached is not None:
            self.cache_hits += 1
            return cached
        out = _fallback(embeddings, n_components) if n < 8 else self._umap(embeddings, n_components, min_dist)
        self.computed += 1
        self.cache.put(key, out)
        return out

    def _umap(self, embeddings: np.ndarray, n_components: int, min_dist: float) -> np.ndarray:
        from umap import UMAP

        persist_umap_jit()
        n = embeddings.shape[0]
        n_neighbors = self.n_neighbors(n)
        knn = self._neighbours(embeddings, n_neighbors)
        model = UMAP(n_neighbors=n_neighbors, n_components=n_components, min_dist=min_dist,
                     metric=self.config.metric, random_state=self.seed, precomputed_knn=knn,
                     n_epochs=self.config.n_epochs,
                     init="spectral" if n > n_components + 10 else "random", low_memory=True, verbose=False)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*(n_jobs|knn_search_index).*")
            return model.fit_transform(embeddings).astype(np.float32)

    def cluster_space(self, embeddings: np.ndarray) -> np.ndarray:
        """The space HDBSCAN clusters in (``n_components`` dimensions, tight ``min_dist``)."""
        return self.transform(embeddings, self.config.n_components, self.config.min_dist)

    def map_2d(self, embeddings: np.ndarray) -> np.ndarray:
        """The 2-D layout of the map (looser ``map_min_dist``, so points spread out)."""
        return self.transform(embeddings, 2, self.config.map_min_dist)
