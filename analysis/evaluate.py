"""Evaluating a run's topics against reference labels (the labels never enter a build)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .corpus import arxiv_id_of, norm_title
from .errors import InputError
from .export import neutralise_formulas
from .metrics import agreement
from .readers import read_path
from .rundir import load_run


def match_labels(papers: pd.DataFrame, labels: pd.DataFrame, label_column: str) -> tuple[pd.DataFrame, int, int]:
    """Join labels to papers by arXiv/paper id, else by normalised title."""
    cols = {c.lower(): c for c in labels.columns}
    if label_column not in labels.columns:
        raise InputError(f"label column '{label_column}' not found (found: {', '.join(labels.columns[:10])})")
    id_col = next((cols[c] for c in ("arxiv_id", "paper_id", "id") if c in cols), None)
    by_id, by_title = {}, {}
    for _, row in labels.iterrows():
        value = row[label_column]
        if value is None or str(value).strip() == "":
            continue
        if id_col is not None and str(row[id_col]).strip():
            raw = str(row[id_col]).strip()
            by_id.setdefault(arxiv_id_of(raw) or raw, value)
        if "title" in cols:
            by_title.setdefault(norm_title(str(row[cols["title"]])), value)
    matched, n_id, n_title = [], 0, 0
    for pid, title, topic in zip(papers["paper_id"], papers["title"], papers["topic_id"]):
        key = arxiv_id_of(pid) or pid
        if key in by_id:
            matched.append((pid, topic, by_id[key]))
            n_id += 1
        elif norm_title(title) in by_title:
            matched.append((pid, topic, by_title[norm_title(title)]))
            n_title += 1
    return pd.DataFrame(matched, columns=["paper_id", "topic_id", "label"]), n_id, n_title


def evaluate_run(run_dir: Path, labels_file: Path, label_column: str, out: Path | None = None) -> dict:
    run = load_run(run_dir)
    table = read_path(labels_file)
    labels = table.frame
    matched, n_id, n_title = match_labels(run.papers, labels, label_column)
    if matched.empty:
        raise InputError(f"{labels_file}: no paper of the run matched by id or title")
    metrics = agreement(matched["label"].astype(str), matched["topic_id"].astype(int))
    contingency = pd.crosstab(matched["topic_id"], matched["label"].astype(str))
    labels_map = dict(zip(run.topics["topic_id"], run.topics["topic_label"]))
    contingency.insert(0, "topic_label", [labels_map.get(t, "") for t in contingency.index])
    out = Path(out) if out else Path(run_dir) / f"contingency_{label_column}.csv"
    neutralise_formulas(contingency.reset_index()).to_csv(out, index=False)
    return {"metrics": metrics, "n_run": len(run.papers), "matched_by_id": n_id, "matched_by_title": n_title,
            "contingency": str(out)}
