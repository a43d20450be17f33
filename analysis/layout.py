"""Keeping the 2-D map recognisable when it is recomputed.

UMAP gives a new layout on every refit: the same neighbourhoods, but turned,
mirrored, scaled and shifted at random. A similarity Procrustes fit
(rotation or reflection, one scale, a translation) on the papers both maps
share undoes that, so a topic stays where the user last saw it. It cannot
bend the map: what moved relative to the rest still moves, which is why a
share of the worst-fitting papers is left out of the fit (``trim``).

Placing *added* papers on an unchanged map is a different step (the
similarity-weighted mean of their nearest fitted papers' positions); it
lives with the nearest-neighbour placement of sampled fits, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SimilarityTransform:
    """``y = scale * x @ rotation + translation``; ``error`` is the fit's RMS residual over the target's RMS radius."""

    scale: float
    rotation: np.ndarray
    translation: np.ndarray
    error: float = 0.0

    def apply(self, xy: np.ndarray) -> np.ndarray:
        return (self.scale * np.asarray(xy, dtype=np.float64) @ self.rotation + self.translation).astype(np.float32)

    @property
    def reflected(self) -> bool:
        return bool(np.linalg.det(self.rotation) < 0)

    def to_dict(self) -> dict:
        """JSON-able, for run.json's record of a refit."""
        return {"scale": round(self.scale, 6), "rotation": np.round(self.rotation, 6).tolist(),
                "translation": np.round(self.translation, 6).tolist(), "reflected": self.reflected,
                "error": round(self.error, 4)}


def _rms_radius(points: np.ndarray, weights: np.ndarray) -> float:
    centred = points - np.average(points, axis=0, weights=weights)
    return float(np.sqrt(np.average((centred ** 2).sum(axis=1), weights=weights)))


def _procrustes(source: np.ndarray, target: np.ndarray, weights: np.ndarray,
                allow_reflection: bool) -> SimilarityTransform:
    """Weighted least-squares similarity (Umeyama 1991), closed form via one SVD."""
    mu_s = np.average(source, axis=0, weights=weights)
    mu_t = np.average(target, axis=0, weights=weights)
    s0, t0 = source - mu_s, target - mu_t
    u, sing, vt = np.linalg.svd((s0 * weights[:, None]).T @ t0)
    flip = np.ones(len(sing))
    if not allow_reflection and np.linalg.det(u @ vt) < 0:
        flip[-1] = -1.0
    rotation = (u * flip) @ vt
    spread = float((weights * (s0 ** 2).sum(axis=1)).sum())
    scale = float((sing * flip).sum() / spread) if spread > 0 else 1.0
    translation = mu_t - scale * mu_s @ rotation
    return SimilarityTransform(scale, rotation, translation)


def fit_similarity(source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None, *,
                   trim: float = 0.1, allow_reflection: bool = True) -> SimilarityTransform:
    """The similarity transform taking ``source`` points closest to ``target`` (same rows, same papers).

    With ``trim`` > 0 the fit is repeated once without that share of the
    worst-fitting points: papers that changed neighbourhood between the two
    layouts should not drag the rest. Reflection is allowed by default
    because UMAP mirrors a layout as readily as it turns it.
    """
    source, target = np.asarray(source, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 2:
        raise ValueError(f"source {source.shape} and target {target.shape} must be the same (n, d) shape")
    if len(source) < source.shape[1] + 1:
        raise ValueError(f"{len(source)} shared points cannot fix a {source.shape[1]}-D similarity")
    w = np.ones(len(source)) if weights is None else np.asarray(weights, dtype=np.float64)
    fit = _procrustes(source, target, w, allow_reflection)
    keep = np.ones(len(source), dtype=bool)
    if trim > 0 and len(source) > 10:
        resid = np.linalg.norm(fit.apply(source) - target, axis=1)
        keep = resid <= np.quantile(resid, 1.0 - trim)
        if keep.sum() >= source.shape[1] + 1:
            fit = _procrustes(source[keep], target[keep], w[keep], allow_reflection)
    resid = np.linalg.norm(fit.apply(source[keep]) - target[keep], axis=1)
    radius = _rms_radius(target[keep], w[keep])
    error = float(np.sqrt(np.average(resid ** 2, weights=w[keep])) / radius) if radius > 0 else 0.0
    return SimilarityTransform(fit.scale, fit.rotation, fit.translation, error)


def align_map(new_xy: np.ndarray, new_ids: Sequence[str], old_xy: np.ndarray, old_ids: Sequence[str], *,
              anchors: Sequence[str] | None = None, trim: float = 0.1) -> tuple[np.ndarray, SimilarityTransform]:
    """A recomputed map (every paper of the new fit) moved onto the old one.

    The transform is fitted on ``anchors`` (default: every paper both maps
    hold; a refit passes the papers whose topic kept its id) and applied to
    all new points, so added papers move with their neighbours.
    """
    old_pos = {pid: i for i, pid in enumerate(old_ids)}
    new_pos = {pid: i for i, pid in enumerate(new_ids)}
    pool = anchors if anchors is not None else new_ids
    shared = [pid for pid in dict.fromkeys(pool) if pid in old_pos and pid in new_pos]
    transform = fit_similarity(np.asarray(new_xy)[[new_pos[p] for p in shared]],
                               np.asarray(old_xy)[[old_pos[p] for p in shared]], trim=trim)
    return transform.apply(new_xy), transform
