"""Curation: the edit log of a run (rename, merge, split, move, undo) and applying it to the fitted state.

A run keeps two kinds of state apart (docs/curation.md):

- the **fitted state**, what the model computed: each paper's fitted topic
  and the fitted topic table, kept in ``fitted/`` once a run has edits;
- the **curated state**, what the user decided: ``edits.jsonl``, one JSON
  edit per line, appended to and never rewritten (an undo is a record too).

The run's own ``papers``, ``topics`` and ``trends`` files always hold the
curated state (edits applied to the fitted state), so every reader (pages,
exports, the map, ``info``) shows the edits without knowing about them.
``add`` and ``refit`` work on the fitted view (:func:`fitted_view`) and then
:func:`curate` applies the whole log again. Edits name topics by id and carry
the paper ids they concerned; an id that a refit retired is found again as
the topic now holding most of those papers, and an edit that cannot apply
is listed in run.json's ``edits_unapplied``, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .hierarchy import COARSE_COLUMNS, OUTLIER_AREA, with_paper_areas
from .runlock import DEFAULT_TIMEOUT_S, RunLock

EDITS_FILE = "edits.jsonl"
FITTED_DIR = "fitted"
KINDS = ("rename", "merge", "split", "move", "undo")
NOISE = -1
#: An edit whose topic id is gone applies to the topic holding more than this share of its papers.
MAJORITY = 0.5
#: The most sub-topics an automatic split considers.
MAX_AUTO_SPLIT = 8


class StaleRun(InputError):
    """The run changed since the caller loaded it: the edit was not written (one line)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- the log


def read_log(run_dir: Path | str) -> list[dict]:
    """Every edit as stored, oldest first, each with ``n`` (its line, from 1) and ``undone`` (True once undone)."""
    path = Path(run_dir) / EDITS_FILE
    if not path.is_file():
        return []
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    undone = set(_undone(records))
    return [{**r, "n": i + 1, "undone": i + 1 in undone} for i, r in enumerate(records)]


def _undone(records: list[dict]) -> list[int]:
    """Line numbers undone: each undo takes back the latest edit still in force."""
    stack, undone = [], []
    for i, r in enumerate(records, start=1):
        if r.get("kind") == "undo":
            if stack:
                undone.append(stack.pop())
        else:
            stack.append(i)
    return undone


def active_edits(records: list[dict]) -> list[dict]:
    """The edits in force, in the order they were made (undo records and what they undid left out)."""
    undone = set(_undone(records))
    return [r for i, r in enumerate(records, start=1) if r.get("kind") != "undo" and i not in undone]


def describe(edit: dict) -> str:
    """One line for ``edit ... log`` and the dashboard's history."""
    kind = edit.get("kind")
    if kind == "rename":
        return f"rename topic {edit['topic_id']} to {edit['label']!r}"
    if kind == "merge":
        ids = edit["topic_ids"]
        return f"merge topics {', '.join(map(str, ids[1:]))} into {ids[0]}"
    if kind == "split":
        parts = ", ".join(f"{p['topic_id']} {p['label']!r} ({len(p['paper_ids'])})" for p in edit["parts"])
        return f"split topic {edit['topic_id']} into {parts}"
    if kind == "move":
        return f"move {len(edit['paper_ids'])} paper(s) to topic {edit['to']}"
    if kind == "undo":
        return f"undo edit {edit.get('undoes', '?')}"
    return f"unknown edit {kind!r}"


def run_version(run_or_dir) -> str:
    """A stamp of a run's state: changes with every build, add, refit and edit (from run.json)."""
    meta = run_or_dir.meta if hasattr(run_or_dir, "meta") else json.loads((Path(run_or_dir) / "run.json").read_text())
    return hashlib.sha1(json.dumps(meta, sort_keys=True, default=str).encode()).hexdigest()[:12]


# ---------------------------------------------------------------- fitted state


def has_edits(run_dir: Path | str) -> bool:
    return (Path(run_dir) / EDITS_FILE).is_file()


def fitted_view(run):
    """The run as the model fitted it (its own tables when it has no edits); a new Run, ``run`` is not changed."""
    from dataclasses import replace

    from .trends import compute_trends

    folder = Path(run.path) / FITTED_DIR
    if not (folder / "papers.parquet").is_file():
        return run
    fitted = pd.read_parquet(folder / "papers.parquet").set_index("paper_id")
    papers = run.papers.copy()
    ids = papers["paper_id"].astype(str)
    papers["topic_id"] = ids.map(fitted["topic_id"]).fillna(NOISE).astype(int).to_numpy()
    papers["topic_label"] = ids.map(fitted["topic_label"]).fillna("").astype(str).to_numpy()
    topics = pd.read_parquet(folder / "topics.parquet")
    papers = with_paper_areas(papers, topics)
    meta = {k: v for k, v in run.meta.items() if k not in ("edits", "edits_unapplied")}
    meta["counts"] = {**meta.get("counts", {}), "topics": int((topics["topic_id"] != NOISE).sum())}
    return replace(run, papers=papers, topics=topics, trends=compute_trends(papers), meta=meta)


def _fitted_writer(papers: pd.DataFrame, topics: pd.DataFrame):
    """What :func:`analysis.rundir.save_run` calls to keep the fitted state beside the curated one."""
    keep = papers[["paper_id", "topic_id", "topic_label"]].reset_index(drop=True)
    topics = topics.reset_index(drop=True)

    def write(folder: Path) -> None:
        (folder / FITTED_DIR).mkdir(exist_ok=True)
        keep.to_parquet(folder / FITTED_DIR / "papers.parquet", index=False)
        topics.to_parquet(folder / FITTED_DIR / "topics.parquet", index=False)

    return write


# ---------------------------------------------------------------- applying the log


@dataclass
class Curated:
    """The curated state: the papers' topic and label, the topic table, and the edits that could not apply."""

    papers: pd.DataFrame
    topics: pd.DataFrame
    unapplied: list[dict] = field(default_factory=list)
    new_ids: set[int] = field(default_factory=set)


class _State:
    """Topic per paper and what each topic shows, as the edits are applied one by one."""

    def __init__(self, papers: pd.DataFrame, topics: pd.DataFrame, vectors: np.ndarray | None):
        self.ids = papers["paper_id"].astype(str).to_numpy()
        self.row = {p: i for i, p in enumerate(self.ids)}
        self.topic = papers["topic_id"].to_numpy(dtype=int).copy()
        self.vectors = vectors
        cols = ["topic_label", "keywords", "label_source", "status", "parents", "representative_ids", *COARSE_COLUMNS]
        self.info = {int(r["topic_id"]): {c: r.get(c, "") for c in cols} for r in topics.to_dict("records")}
        for t in set(self.topic.tolist()) - set(self.info):
            self.info[t] = {c: "" for c in cols} | {"topic_label": "Outliers" if t == NOISE else f"Topic {t}",
                                                    "coarse_id": NOISE, "coarse_label": OUTLIER_AREA}
        self.touched: set[int] = set()
        self.unapplied: list[dict] = []

    def rows(self, paper_ids) -> np.ndarray:
        return np.array([self.row[p] for p in paper_ids if p in self.row], dtype=int)

    def live(self) -> set[int]:
        return set(self.topic.tolist())

    def resolve(self, topic_id: int, paper_ids) -> int | None:
        """The id itself while a topic carries it, else the topic holding most of the edit's papers."""
        if int(topic_id) in self.live():
            return int(topic_id)
        rows = self.rows(paper_ids or [])
        if not len(rows):
            return None
        values, counts = np.unique(self.topic[rows], return_counts=True)
        best = int(counts.argmax())
        return int(values[best]) if counts[best] / len(rows) > MAJORITY and values[best] != NOISE else None

    def miss(self, edit: dict, reason: str) -> None:
        self.unapplied.append({"n": edit.get("n"), "kind": edit["kind"], "at": edit.get("at"),
                               "edit": describe(edit), "reason": reason})


def _apply_rename(s: _State, e: dict) -> None:
    t = s.resolve(e["topic_id"], e.get("paper_ids"))
    if t is None:
        return s.miss(e, f"topic {e['topic_id']} is gone and no topic holds most of its papers")
    s.info[t].update(topic_label=e["label"], label_source="user")


def _apply_merge(s: _State, e: dict) -> None:
    members = e.get("members", {})
    ids = [s.resolve(t, members.get(str(t))) for t in e["topic_ids"]]
    into = ids[0]
    if into is None:
        return s.miss(e, f"topic {e['topic_ids'][0]} is gone and no topic holds most of its papers")
    lost = [str(t) for t, r in zip(e["topic_ids"][1:], ids[1:]) if r is None]
    for other in dict.fromkeys(r for r in ids[1:] if r is not None and r != into):
        s.topic[s.topic == other] = into
    s.touched.add(into)
    if lost:
        s.miss(e, f"topic(s) {', '.join(lost)} gone and no topic holds most of their papers; the rest merged")


def _apply_split(s: _State, e: dict) -> None:
    t = s.resolve(e["topic_id"], [p for part in e["parts"] for p in part["paper_ids"]])
    if t is None:
        return s.miss(e, f"topic {e['topic_id']} is gone and no topic holds most of its papers")
    members = np.flatnonzero(s.topic == t)
    placed = np.zeros(len(s.topic), dtype=bool)
    centroids, part_ids = [], []
    for part in e["parts"]:
        rows = np.intersect1d(s.rows(part["paper_ids"]), members)
        s.topic[rows] = part["topic_id"]
        placed[rows] = True
        part_ids.append(part["topic_id"])
        if s.vectors is not None:
            src = rows if len(rows) else s.rows(part["paper_ids"])
            centroids.append(s.vectors[src].mean(axis=0) if len(src) else np.zeros(s.vectors.shape[1]))
        s.info[part["topic_id"]] = {"topic_label": part["label"], "keywords": part.get("keywords", ""),
                                    "label_source": "auto", "status": "split", "parents": str(e["topic_id"]),
                                    "representative_ids": ""} | {c: s.info[t][c] for c in COARSE_COLUMNS}
        s.touched.add(part["topic_id"])
    rest = members[~placed[members]]  # papers that came after the split: the nearest part
    if len(rest):
        if s.vectors is not None:
            c = np.vstack(centroids)
            c = c / (np.linalg.norm(c, axis=1, keepdims=True) + 1e-12)
            s.topic[rest] = np.asarray(part_ids)[(s.vectors[rest] @ c.T).argmax(axis=1)]
        else:
            s.topic[rest] = part_ids[0]


def _apply_move(s: _State, e: dict) -> None:
    to = s.resolve(e["to"], e.get("to_members"))
    if to is None:
        return s.miss(e, f"topic {e['to']} is gone and no topic holds most of its papers")
    rows = s.rows(e["paper_ids"])
    s.touched.update(set(s.topic[rows].tolist()) | {to})
    s.topic[rows] = to
    if len(rows) < len(e["paper_ids"]):
        s.miss(e, f"{len(e['paper_ids']) - len(rows)} of its papers are no longer in the run; the rest moved")


_APPLY = {"rename": _apply_rename, "merge": _apply_merge, "split": _apply_split, "move": _apply_move}


def apply_log(papers: pd.DataFrame, topics: pd.DataFrame, records: list[dict],
              vectors: np.ndarray | None = None) -> Curated:
    """The curated state: the edits in force applied in order to the fitted ``papers`` and ``topics``."""
    from .pipeline import TOPIC_COLUMNS, topic_stats, with_theme_column
    from .themes import SEP
    from .topics import _representative

    s = _State(papers, topics, vectors)
    numbered = [{**r, "n": r.get("n", i)} for i, r in enumerate(records, start=1)]
    for edit in active_edits(numbered):
        _APPLY[edit["kind"]](s, edit)
    out = papers.copy()
    out["topic_id"] = s.topic
    out["topic_label"] = [str(s.info[t]["topic_label"]) for t in s.topic]
    fitted_members = {int(t): set(g) for t, g in papers.groupby("topic_id")["paper_id"]}
    rows = []
    for tid, group in out.groupby("topic_id", sort=True):
        info = s.info[int(tid)]
        reps = info["representative_ids"]
        if vectors is not None and (int(tid) in s.touched or set(group["paper_id"]) != fitted_members.get(int(tid))):
            reps = SEP.join(s.ids[i] for i in _representative(vectors, group.index.to_numpy()))
        rows.append({"topic_id": int(tid), "topic_label": info["topic_label"], "coarse_id": info["coarse_id"],
                     "coarse_label": info["coarse_label"], "keywords": info["keywords"],
                     **topic_stats(group), "representative_ids": reps, "label_source": info["label_source"],
                     "status": info["status"], "parents": info["parents"]})
    new_ids = {int(p["topic_id"]) for r in records if r.get("kind") == "split" for p in r["parts"]}
    table = pd.DataFrame(rows, columns=TOPIC_COLUMNS)
    if "coarse_id" in topics:  # areas follow the fine topics: a split's parts are in their parent's area
        out = with_paper_areas(out, table.astype({"coarse_id": int}))
    else:  # a run from before areas existed stays without them
        table = table.drop(columns=COARSE_COLUMNS)
    return Curated(out, with_theme_column(table, out), s.unapplied, new_ids)


def _curated_meta(meta: dict, records: list[dict], cur: Curated) -> dict:
    meta = dict(meta)
    meta["counts"] = {**meta.get("counts", {}), "topics": int((cur.topics["topic_id"] != NOISE).sum())}
    meta["edits"] = {"count": len(records), "in_force": len(active_edits(records)),
                     "last_at": records[-1].get("at") if records else None}
    meta["edits_unapplied"] = cur.unapplied
    meta["used_ids"] = sorted(set(meta.get("used_ids", [])) | cur.new_ids)
    return meta


def curate(result, run_dir: Path | str):
    """Before ``add`` or ``refit`` saves a run: keep ``result``'s tables as the fitted state, apply the log.

    Changes ``result`` in place (papers, topics, trends and run.json's record
    of the edits) and returns the ``extra`` writer for
    :func:`analysis.rundir.save_run`; None when the run has no edits.
    """
    from .trends import compute_trends

    records = read_log(run_dir)
    if not records:
        return None
    writer = _fitted_writer(result.papers, result.topics)
    vectors = None if result.embeddings is None else np.asarray(result.embeddings, dtype=np.float32)
    cur = apply_log(result.papers.reset_index(drop=True), result.topics, records, vectors)
    result.papers, result.topics, result.trends = cur.papers, cur.topics, compute_trends(cur.papers)
    result.meta = _curated_meta(result.meta, records, cur)
    return writer


# ---------------------------------------------------------------- splitting


@dataclass
class SplitPreview:
    """What a split would make: the parts (new id, label, keywords, paper ids) and each member's new topic."""

    topic_id: int
    into: int
    parts: list[dict]
    assignment: pd.Series  #: paper id -> new topic id

    def to_edit(self) -> dict:
        return {"kind": "split", "topic_id": self.topic_id, "into": self.into, "parts": self.parts}


def next_topic_id(run, records: list[dict] | None = None) -> int:
    """The lowest id above every id the run ever used: fits, edits (undone ones too) and the fitted topics."""
    used = set(int(t) for t in run.meta.get("used_ids", []))
    used |= set(run.topics["topic_id"].astype(int).tolist())
    for lineage in run.meta.get("lineage", []):
        used |= set(int(t) for t in lineage.get("born", []))
    for r in records if records is not None else read_log(run.path):
        for part in r.get("parts", []):
            used.add(int(part["topic_id"]))
    fitted = Path(run.path) / FITTED_DIR / "topics.parquet"
    if fitted.is_file():
        used |= set(pd.read_parquet(fitted)["topic_id"].astype(int).tolist())
    return max(used | {NOISE}) + 1


def _split_labels(texts: list[str], parts: np.ndarray, words: int) -> dict[int, tuple[str, list[str]]]:
    """c-TF-IDF of each part against the other parts of the same topic: what sets it apart, as a label."""
    from .topics import make_label, make_vectorizer

    vec = make_vectorizer(len(texts))
    vec.min_df = 1
    try:
        counts = vec.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return {int(k): ("Miscellaneous", []) for k in np.unique(parts)}
    vocab = np.asarray(vec.get_feature_names_out())
    ks = np.unique(parts)
    tf = np.vstack([np.asarray(counts[parts == k].sum(axis=0)).ravel() for k in ks]).astype(float)
    avg = tf.sum(axis=1).mean()
    idf = np.log(1 + avg / (tf.sum(axis=0) + 1e-12))
    score = tf / (tf.sum(axis=1, keepdims=True) + 1e-12) * idf
    out = {}
    for i, k in enumerate(ks):
        best = [j for j in np.argsort(-score[i], kind="stable")[:10] if score[i, j] > 0]
        top = [str(vocab[j]) for j in best]
        out[int(k)] = (make_label(top, words), top)
    return out


def _cluster_members(vectors: np.ndarray, into: int | None, seed: int) -> np.ndarray:
    """KMeans into ``into`` parts, or into the number (2..8) with the best silhouette."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    def fit(k: int) -> np.ndarray:
        return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)

    if into is not None:
        return fit(into)
    best, best_score = None, -2.0
    for k in range(2, min(MAX_AUTO_SPLIT, len(vectors) - 1) + 1):
        labels = fit(k)
        if len(set(labels.tolist())) < 2:
            continue
        score = silhouette_score(vectors, labels, metric="cosine")
        if score > best_score + 1e-9:
            best, best_score = labels, score
    return best if best is not None else fit(2)


def preview_split(run, topic_id: int, into: int | None = None) -> SplitPreview:
    """The split :func:`apply_edit` would make of ``topic_id`` (a Run as loaded, or its folder); writes nothing."""
    from .corpus import texts_of
    from .rundir import load_run, load_vectors
    from .themes import SEP

    if not hasattr(run, "papers"):
        run = load_run(run)
    topic_id = _known_topic(run, topic_id)
    members = np.flatnonzero(run.papers["topic_id"].to_numpy(dtype=int) == topic_id)
    if into is not None and (int(into) < 2 or int(into) > len(members) // 2):
        raise InputError(f"topic {topic_id} has {len(members)} papers: --into must be between 2 and "
                         f"{len(members) // 2}")
    if len(members) < 4:
        raise InputError(f"topic {topic_id} has {len(members)} papers: too few to split (at least 4)")
    vectors = load_vectors(run.path, len(run.papers))
    if vectors is None:
        raise InputError(f"{run.path}: the run keeps no paper vectors (vectors.npy); refit it first")
    seed = int(run.meta.get("parameters", {}).get("seed", 42))
    labels = _cluster_members(vectors[members], None if into is None else int(into), seed)
    order = sorted(set(labels.tolist()), key=lambda k: (-(labels == k).sum(), k))  # largest part first
    rank = {k: i for i, k in enumerate(order)}
    labels = np.array([rank[k] for k in labels])
    papers = run.papers.iloc[members]
    words = int(run.meta.get("parameters", {}).get("topics", {}).get("label_words", 3) or 3)
    names = _split_labels(texts_of(papers), labels, words)
    first = next_topic_id(run)
    parts = [{"topic_id": first + k, "label": names[k][0], "keywords": SEP.join(names[k][1]),
              "paper_ids": papers["paper_id"].astype(str).to_numpy()[labels == k].tolist()} for k in range(len(order))]
    assignment = pd.Series(first + labels, index=papers["paper_id"].astype(str).to_numpy(), name="topic_id")
    return SplitPreview(topic_id, len(order), parts, assignment)


# ---------------------------------------------------------------- checking and recording one edit


def _known_topic(run, topic_id) -> int:
    try:
        tid = int(topic_id)
    except (TypeError, ValueError):
        raise InputError(f"'{topic_id}' is not a topic id") from None
    if tid == NOISE:
        raise InputError("topic -1 holds the outliers and cannot be edited")
    if tid not in set(run.papers["topic_id"].astype(int).tolist()):
        raise InputError(f"unknown topic {tid} in {run.path.name} (topics: "
                         f"{', '.join(map(str, sorted(run.topics['topic_id'].astype(int))))})")
    return tid


def _members(run, topic_id: int) -> list[str]:
    return run.papers.loc[run.papers["topic_id"].astype(int) == topic_id, "paper_id"].astype(str).tolist()


def _record(run, edit: dict, records: list[dict]) -> dict:
    """The edit as written to the log: checked against the run as it is, with the papers it concerns."""
    kind = edit.get("kind")
    if kind not in KINDS:
        raise InputError(f"unknown edit kind {kind!r} (one of {', '.join(KINDS)})")
    at = {"at": _now()}
    if kind == "rename":
        tid = _known_topic(run, edit.get("topic_id"))
        label = " ".join(str(edit.get("label", "")).split())
        if not label:
            raise InputError("a topic's new label cannot be empty")
        return {"kind": kind, **at, "topic_id": tid, "label": label, "paper_ids": _members(run, tid)}
    if kind == "merge":
        ids = [_known_topic(run, t) for t in edit.get("topic_ids", [])]
        if len(set(ids)) < len(ids):
            raise InputError(f"cannot merge a topic with itself ({' '.join(map(str, ids))})")
        if len(ids) < 2:
            raise InputError("a merge needs at least two topics")
        return {"kind": kind, **at, "topic_ids": ids, "members": {str(t): _members(run, t) for t in ids}}
    if kind == "split":
        into = edit.get("into")
        preview = preview_split(run, edit.get("topic_id"), None if into is None else int(into))
        return {"kind": kind, **at, "topic_id": preview.topic_id, "into": preview.into, "parts": preview.parts}
    if kind == "move":
        to = _known_topic(run, edit.get("to"))
        ids = [str(p) for p in edit.get("paper_ids", [])]
        known = set(run.papers["paper_id"].astype(str))
        unknown = [p for p in ids if p not in known]
        if unknown:
            raise InputError(f"unknown paper id(s) in {run.path.name}: {', '.join(unknown[:5])}"
                             f"{' ...' if len(unknown) > 5 else ''}")
        if not ids:
            raise InputError("a move needs at least one paper id")
        return {"kind": kind, **at, "to": to, "paper_ids": list(dict.fromkeys(ids)), "to_members": _members(run, to)}
    in_force = [i for i, r in enumerate(records, start=1) if r.get("kind") != "undo" and i not in set(_undone(records))]
    if not in_force:
        raise InputError(f"nothing to undo in {run.path.name}")
    return {"kind": "undo", **at, "undoes": in_force[-1]}


@dataclass
class EditSummary:
    """What :func:`apply_edit` wrote: the record, the run's new version stamp, its topics and unapplied edits."""

    edit: dict
    version: str
    n_topics: int
    unapplied: list[dict]

    @property
    def message(self) -> str:
        tail = f"; {len(self.unapplied)} edit(s) could not apply (see info)" if self.unapplied else ""
        return f"{describe(self.edit)}: {self.n_topics} topics{tail}"


def apply_edit(run_dir: Path | str, edit: dict, *, expected_version: str | None = None,
               timeout: float | None = DEFAULT_TIMEOUT_S) -> EditSummary:
    """Check one edit, append it to the log and swap the curated run into place, atomically, under the RunLock.

    ``edit`` is ``{"kind": "rename", "topic_id": 3, "label": "..."}``,
    ``{"kind": "merge", "topic_ids": [3, 7]}``, ``{"kind": "split", "topic_id": 3, "into": 2}``
    (``into`` optional), ``{"kind": "move", "to": 3, "paper_ids": [...]}`` or ``{"kind": "undo"}``.
    ``expected_version`` (:func:`run_version` of the run the caller shows)
    refuses the edit with :class:`StaleRun` when the run changed since.
    """
    from .rundir import (
        RUN_FILE,
        TABLE_FILES,
        linked_copy,
        load_run,
        load_vectors,
        recover,
        swap_into_place,
        write_tables,
    )
    from .trends import compute_trends

    run_dir = Path(run_dir).resolve()
    with RunLock(run_dir, timeout=timeout):
        recover(run_dir)
        run = load_run(run_dir)
        if expected_version is not None and run_version(run) != expected_version:
            raise StaleRun(f"run {run_dir.name} changed since it was loaded; reload it and edit again")
        records = [{k: v for k, v in r.items() if k not in ("n", "undone")} for r in read_log(run_dir)]
        record = _record(run, edit, records)
        records.append(record)
        fitted = fitted_view(run)
        cur = apply_log(fitted.papers, fitted.topics, records, load_vectors(run_dir, len(run.papers)))
        meta = _curated_meta(run.meta, records, cur)
        tmp = run_dir.parent / f".{run_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
        try:
            linked_copy(run_dir, tmp, {*TABLE_FILES["papers"], *TABLE_FILES["topics"], *TABLE_FILES["trends"],
                                       RUN_FILE, EDITS_FILE, FITTED_DIR})
            _fitted_writer(fitted.papers, fitted.topics)(tmp)
            write_tables(tmp, papers=cur.papers, topics=cur.topics, trends=compute_trends(cur.papers))
            (tmp / EDITS_FILE).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
            (tmp / RUN_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str))
            swap_into_place(tmp, run_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return EditSummary(record, run_version(run_dir), meta["counts"]["topics"], cur.unapplied)
