"""Topic identity across fits: which new cluster is which old topic, and what became of the others.

A refit (or a rebuild ``--like`` an earlier run) clusters again and numbers its
clusters from scratch. Matching them to the old topics, one to one, lets the
ids, labels, bookmarks and edits of the old topics carry over. The rule, the
thresholds and why are in ``docs/identity.md``.

Everything here is plain data in and plain data out (paper ids, labels,
centroids; JSON-able lineage records), so the ``add``, ``refit`` and
``build --like`` commands can all call it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .placement import topic_centroids

#: HDBSCAN's label for papers in no cluster; never matched, never renumbered.
NOISE = -1
#: Statuses of a topic after a fit (``topics.csv``'s ``status``) ...
STATUSES = ("kept", "split", "merged", "new")
#: ... and what became of an old topic (the lineage; ``retired`` ids are never used again).
FATES = ("kept", "split", "merged", "retired")

Assignment = Mapping[str, int] | pd.Series


@dataclass(frozen=True)
class MatchParams:
    """The matching rule's knobs (defaults explained in docs/identity.md)."""

    #: A pair's score below this is no match: the new cluster gets a new id.
    min_similarity: float = 0.2
    #: Weight of the centroid term when every paper of the new fit has an old topic; it grows to 1
    #: as that coverage falls to 0 (a rebuild of a disjoint corpus can only match by centroid).
    centroid_weight: float = 0.25
    #: "Most of": the share of a cluster's papers (split) or of an old topic's papers (merge).
    majority: float = 0.5
    #: An old topic's ``into`` lists the new topics that took at least this share of its papers.
    into_share: float = 0.25


@dataclass
class Matching:
    """The outcome of :func:`match_topics`.

    ``mapping``: new cluster label -> final topic id (``NOISE`` maps to itself).
    ``topics``: final id -> ``{"status", "parents"}`` (``topics.csv``'s ``status`` and ``parents``).
    ``old``: old id -> ``{"status", "into"}``: ``status`` is one of :data:`FATES`, ``into`` the final
    ids that took at least ``into_share`` of its papers.
    ``event`` is this fit's lineage record, ``lineage`` the previous lineage with it appended.
    ``share_kept`` is the share of the ``n_shared`` old papers (in a topic, and present in the new fit)
    that keep their old topic id; 0 when no paper is shared. ``used_ids``: every id used so far, these included.
    """

    mapping: dict[int, int]
    topics: dict[int, dict]
    old: dict[int, dict]
    event: dict
    lineage: list[dict]
    share_kept: float
    n_shared: int = 0
    used_ids: list[int] = field(default_factory=list)

    def apply(self, labels: Sequence[int] | np.ndarray) -> np.ndarray:
        """The final topic id of each new cluster label."""
        return np.array([self.mapping[int(label)] for label in labels], dtype=int)

    @property
    def carried(self) -> list[int]:
        """Old ids that live on (status kept, or the matched piece of a split or merge): they keep their label."""
        return sorted(t for t in self.topics if t in self.old)

    @property
    def retired(self) -> list[int]:
        """Old ids no topic carries any more (never to be handed out again)."""
        return [o for o in self.old if o not in self.topics]


def centroid_map(embeddings: np.ndarray, labels: Sequence[int] | np.ndarray) -> dict[int, np.ndarray]:
    """Topic id -> unit mean vector of its papers (noise excluded): :func:`match_topics`' centroids."""
    ids, centroids = topic_centroids(embeddings, np.asarray(labels), unit=True)
    return dict(zip(ids.tolist(), centroids.astype(np.float32)))


def ids_ever_used(lineage: Iterable[Mapping]) -> set[int]:
    """Every topic id a lineage mentions: the ids a run may never hand out again."""
    used: set[int] = set()
    for event in lineage:
        for key in ("born", "kept", "retired"):
            used.update(int(t) for t in event.get(key, []))
        for rec in event.get("split", []):
            used.update([int(rec["from"]), *map(int, rec["into"])])
        for rec in event.get("merged", []):
            used.update([int(rec["into"]), *map(int, rec["from"])])
    return used


def lineage_start(topic_ids: Iterable[int], **info) -> list[dict]:
    """The lineage of a fresh build: every topic born at once."""
    born = sorted(int(t) for t in topic_ids if int(t) != NOISE)
    return [{"event": "build", **info, "born": born}]


def _series(assignment: Assignment) -> pd.Series:
    s = assignment if isinstance(assignment, pd.Series) else pd.Series(dict(assignment), dtype=object)
    s = s.astype(int)
    s.index = s.index.astype(str)
    if not s.index.is_unique:
        raise ValueError("a paper id appears twice in one assignment")
    return s


def _unit_rows(centroids: Mapping[int, np.ndarray] | None, ids: list[int], side: str) -> np.ndarray | None:
    if centroids is None or not ids:
        return None
    missing = [t for t in ids if t not in centroids]
    if missing:
        raise ValueError(f"no {side} centroid for topic(s) {missing}")
    rows = np.vstack([np.asarray(centroids[t], dtype=np.float64) for t in ids])
    return rows / (np.linalg.norm(rows, axis=1, keepdims=True) + 1e-12)


def _nearest_sibling(unit: np.ndarray) -> np.ndarray:
    """Each centroid's cosine to the closest other centroid of the same fit (0 when it is alone)."""
    if len(unit) < 2:
        return np.zeros(len(unit))
    sib = unit @ unit.T
    np.fill_diagonal(sib, -1.0)
    return np.clip(sib.max(axis=1), 0.0, 0.999)


def _centroid_similarity(old_c: np.ndarray | None, new_c: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """Cosine rescaled per pair: 0 at the nearer-sibling cosine of either side (or below), 1 when identical.

    Topic centroids of one field sit close together (cosine 0.4-0.9 between
    different topics of the Daily Papers archive), so a raw cosine says little.
    A pair scores only if its two centroids are closer to each other than
    either is to its nearest sibling in its own fit.
    """
    if old_c is None or new_c is None or not old_c.size or not new_c.size:
        return np.zeros(shape)
    base = np.maximum(_nearest_sibling(old_c)[:, None], _nearest_sibling(new_c)[None, :])
    return np.clip((old_c @ new_c.T - base) / (1.0 - base), 0.0, 1.0)


@dataclass
class _Overlap:
    """Counts of the papers both fits share, per (old topic, new cluster)."""

    counts: np.ndarray  # old x new
    old_n: np.ndarray  # old topic's papers present in the new fit (any label)
    new_n: np.ndarray  # new cluster's papers (all of them, shared or not)
    coverage: float  # share of the new fit's clustered papers that have an old topic
    old_total: int  # old clustered papers present in the new fit

    @property
    def jaccard(self) -> np.ndarray:
        union = self.old_n[:, None] + self.new_n[None, :] - self.counts
        return np.divide(self.counts, union, out=np.zeros(self.counts.shape), where=union > 0)

    def share_of_old(self) -> np.ndarray:
        return np.divide(self.counts, self.old_n[:, None], out=np.zeros(self.counts.shape),
                         where=self.old_n[:, None] > 0)

    def share_of_new(self) -> np.ndarray:
        return np.divide(self.counts, self.new_n[None, :], out=np.zeros(self.counts.shape),
                         where=self.new_n[None, :] > 0)


def _overlap(old: pd.Series, new: pd.Series, old_ids: list[int], new_ids: list[int]) -> _Overlap:
    old = old[old != NOISE]
    shared = old.index.intersection(new.index)
    o, n = old.loc[shared].to_numpy(), new.loc[shared].to_numpy()
    oi = {t: i for i, t in enumerate(old_ids)}
    ni = {t: i for i, t in enumerate(new_ids)}
    counts = np.zeros((len(old_ids), len(new_ids)))
    clustered = n != NOISE
    np.add.at(counts, ([oi[t] for t in o[clustered]], [ni[t] for t in n[clustered]]), 1)
    old_n = np.bincount([oi[t] for t in o], minlength=len(old_ids)).astype(float)
    new_all = new[new != NOISE]
    new_n = np.bincount([ni[t] for t in new_all.to_numpy()], minlength=len(new_ids)).astype(float)
    coverage = float(clustered.sum() / len(new_all)) if len(new_all) else 0.0
    return _Overlap(counts, old_n, new_n, coverage, int(len(shared)))


def _similarity(ov: _Overlap, centroid: np.ndarray, params: MatchParams) -> np.ndarray:
    w = 1.0 - (1.0 - params.centroid_weight) * ov.coverage
    return (1.0 - w) * ov.jaccard + w * centroid


def _assign(score: np.ndarray, min_similarity: float) -> dict[int, int]:
    """Optimal one-to-one assignment (new column -> old row), pairs below the threshold dropped."""
    from scipy.optimize import linear_sum_assignment

    if not score.size:
        return {}
    rows, cols = linear_sum_assignment(-score)
    return {int(c): int(r) for r, c in zip(rows, cols) if score[r, c] >= min_similarity}


@dataclass
class _Flows:
    """Where papers went: each new cluster's majority parent, the old topics it absorbed, each old topic's pieces."""

    majority: list[int | None]  # per new cluster: the old topic most (> majority) of its papers come from
    absorbed: list[list[int]]  # per new cluster: old topics most (> majority) of whose papers it holds
    spread: dict[int, list[int]]  # per old topic: the new clusters it is the majority parent of

    @classmethod
    def of(cls, ov: _Overlap, params: MatchParams) -> _Flows:
        of_new, of_old = ov.share_of_new(), ov.share_of_old()
        majority = [int(of_new[:, j].argmax()) if of_new.shape[0] and of_new[:, j].max() > params.majority
                    else None for j in range(of_new.shape[1])]
        absorbed = [[int(r) for r in np.flatnonzero(of_old[:, j] > params.majority)] for j in range(of_new.shape[1])]
        spread = {r: [j for j, m in enumerate(majority) if m == r] for r in range(of_new.shape[0])}
        return cls(majority, absorbed, spread)

    def is_split(self, row: int | None) -> bool:
        return row is not None and len(self.spread[row]) >= 2


def _statuses(flows: _Flows, matched: dict[int, int]) -> list[tuple[str, list[int]]]:
    """(status, parent rows) of every new cluster, by the rule in docs/identity.md."""
    out = []
    for j, (major, absorbed) in enumerate(zip(flows.majority, flows.absorbed)):
        mine = matched.get(j)
        if len(absorbed) >= 2:
            out.append(("merged", sorted(set(absorbed) | ({mine} - {None}))))
        elif flows.is_split(major) and mine in (None, major):
            out.append(("split", [major]))
        elif mine is not None:  # its id carries on; a majority from elsewhere is a parent too
            out.append(("kept", sorted({mine} | ({major} - {None}))))
        else:
            out.append(("new", [] if major is None else [major]))
    return out


def _final_ids(new_ids: list[int], sizes: np.ndarray, matched: dict[int, int], old_ids: list[int],
               used: set[int]) -> dict[int, int]:
    """Matched clusters take their old topic's id; the others fresh ids, largest cluster first."""
    mapping = {new_ids[j]: old_ids[r] for j, r in matched.items()}
    nxt = max(used | set(old_ids) | {NOISE}) + 1
    for j in sorted((j for j in range(len(new_ids)) if j not in matched), key=lambda j: (-sizes[j], new_ids[j])):
        mapping[new_ids[j]] = nxt
        nxt += 1
    return mapping


def _old_fates(old_ids: list[int], final: list[int], statuses: list[tuple[str, list[int]]], flows: _Flows,
               ov: _Overlap, params: MatchParams) -> dict[int, dict]:
    of_old = ov.share_of_old()
    merged = {r for s, parents in statuses if s == "merged" for r in parents}
    fates = {}
    for r, o in enumerate(old_ids):
        order = np.argsort(-of_old[r], kind="stable") if of_old.shape[1] else []
        into = [final[j] for j in order if of_old[r, j] >= params.into_share]
        if flows.is_split(r):
            status, into = "split", sorted(final[j] for j in flows.spread[r])
        elif r in merged:
            status = "merged"
        else:
            status = "kept" if o in final else "retired"
        fates[o] = {"status": status, "into": into}
    return fates


def _event(old_ids: list[int], final: list[int], statuses: list[tuple[str, list[int]]], fates: dict[int, dict],
           share_kept: float, info: Mapping) -> dict:
    return {
        "event": "refit", **info,
        "kept": sorted(f for f, (s, _) in zip(final, statuses) if s == "kept"),
        "born": sorted(set(final) - set(old_ids)),
        "split": [{"from": o, "into": f["into"]} for o, f in sorted(fates.items()) if f["status"] == "split"],
        "merged": sorted(({"into": fid, "from": [old_ids[r] for r in parents]}
                          for fid, (s, parents) in zip(final, statuses) if s == "merged"), key=lambda m: m["into"]),
        "retired": sorted(set(old_ids) - set(final)),
        "share_kept": round(share_kept, 4),
    }


def match_topics(old: Assignment, new: Assignment, old_centroids: Mapping[int, np.ndarray] | None,
                 new_centroids: Mapping[int, np.ndarray] | None, *, used_ids: Iterable[int] | None = None,
                 lineage: Sequence[Mapping] = (), info: Mapping | None = None,
                 params: MatchParams = MatchParams()) -> Matching:
    """Match a new clustering to the old topics and give every new cluster its final id.

    ``old`` and ``new`` map paper id -> topic / cluster label (``NOISE`` for
    none); each may hold papers the other lacks (papers added since, papers
    of another corpus): overlap is counted on the papers both hold. The
    centroids are unit vectors (any common space; the embedding space is
    fine) for every old topic and every new cluster. ``used_ids`` are all
    ids the run ever handed out (default: those ``lineage`` mentions, plus
    the old ids); new clusters get ids above all of them. ``info`` is merged
    into the lineage event (e.g. ``{"event": "refit", "at": ..., "seed": 7}``).
    """
    old_s, new_s = _series(old), _series(new)
    old_ids = sorted((set(old_s.tolist()) | set(old_centroids or {})) - {NOISE})
    new_ids = sorted(set(new_s.tolist()) - {NOISE})
    ov = _overlap(old_s, new_s, old_ids, new_ids)
    centroid = _centroid_similarity(_unit_rows(old_centroids, old_ids, "old"),
                                    _unit_rows(new_centroids, new_ids, "new"), (len(old_ids), len(new_ids)))
    matched = _assign(_similarity(ov, centroid, params), params.min_similarity)
    flows = _Flows.of(ov, params)
    statuses = _statuses(flows, matched)
    used = set(int(t) for t in used_ids) if used_ids is not None else ids_ever_used(lineage)
    mapping = _final_ids(new_ids, ov.new_n, matched, old_ids, used)
    final = [mapping[t] for t in new_ids]
    kept_papers = sum(ov.counts[r, j] for j, r in matched.items())
    share_kept = float(kept_papers / ov.old_total) if ov.old_total else 0.0
    fates = _old_fates(old_ids, final, statuses, flows, ov, params)
    event = _event(old_ids, final, statuses, fates, share_kept, dict(info or {}))
    topics = {fid: {"status": s, "parents": sorted(old_ids[r] for r in parents)}
              for fid, (s, parents) in zip(final, statuses)}
    mapping[NOISE] = NOISE
    return Matching(mapping=mapping, topics=topics, old=fates, event=event,
                    lineage=[dict(e) for e in lineage] + [event], share_kept=share_kept, n_shared=ov.old_total,
                    used_ids=sorted(used | set(old_ids) | set(final)))
