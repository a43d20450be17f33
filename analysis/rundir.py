"""Run directories: writing one atomically, reading it back, listing the finished ones.

The run directory is the contract between the CLI and the dashboard:
papers/topics/trends/skipped as CSV (spreadsheet-safe) and Parquet (exact),
``run.json`` with inputs, parameters, versions, counts, metrics and timings,
and under ``model/`` the BERTopic model in safetensors form with the topic
centroids, and every paper's vector in ``vectors.npy`` (row i is papers' row
i: what ``add`` places new papers with and ``refit`` clusters again, never in
papers.csv). A run is written to a hidden sibling folder and renamed into
place, so a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .corpus import CORE_COLUMNS
from .errors import InputError
from .export import to_safe_csv
from .runlock import RunLock

if TYPE_CHECKING:
    from .pipeline import BuildResult

RUN_FILE = "run.json"
VECTORS_FILE = "vectors.npy"


def save_run(result: BuildResult, out: Path | str, carry: tuple[str, ...] = (),
             extra: Callable[[Path], None] | None = None) -> Path:
    """Write to a hidden sibling folder, then rename into place: no half-written run is ever visible.

    Held under the run's :class:`~analysis.runlock.RunLock`, so a build never
    swaps a run while ``add`` or ``refit`` is changing it. ``carry`` names
    entries of the run being replaced (``model``) copied into the new one as they are;
    ``extra`` writes more into the new run's folder before the swap (the fitted
    state of a curated run, :mod:`analysis.edits`).
    """
    out = check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with RunLock(out):
        return _save_locked(result, out, carry, extra)


def _save_locked(result: BuildResult, out: Path, carry: tuple[str, ...],
                 extra: Callable[[Path], None] | None = None) -> Path:
    recover(out)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        t0 = time.perf_counter()
        _write_tables(result, tmp)
        if result.model is not None:
            result.model.save(tmp / "model")
        for name in carry:
            if (out / name).is_dir():
                shutil.copytree(out / name, tmp / name)
            elif (out / name).is_file():
                shutil.copy2(out / name, tmp / name)
        if extra is not None:
            extra(tmp)
        meta = dict(result.meta)
        meta["seconds"] = {**meta["seconds"], "write": round(time.perf_counter() - t0, 3)}
        (tmp / RUN_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str))
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.meta = meta
    return out


def _write_tables(result: BuildResult, folder: Path) -> None:
    """The CSVs people open (internal ``_`` columns left out) and the exact Parquet frames the dashboard reads."""
    visible = result.papers.drop(columns=[c for c in result.papers.columns if c.startswith("_")])
    to_safe_csv(visible, folder / "papers.csv")
    result.papers.to_parquet(folder / "papers.parquet", index=False)
    to_safe_csv(result.topics, folder / "topics.csv")
    result.topics.to_parquet(folder / "topics.parquet", index=False)
    to_safe_csv(result.trends, folder / "trends.csv")
    to_safe_csv(result.skipped, folder / "skipped.csv")
    if result.embeddings is not None:
        np.save(folder / VECTORS_FILE, np.ascontiguousarray(result.embeddings, dtype=np.float32))


def load_vectors(path: Path | str, n: int) -> np.ndarray | None:
    """The run's paper vectors, or None for a run written before they were kept (or a damaged file)."""
    try:
        vectors = np.load(Path(path) / VECTORS_FILE, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return vectors if vectors.ndim == 2 and len(vectors) == n and np.isfinite(vectors).all() else None


def check_out_dir(out: Path | str) -> Path:
    """Refuse an output path that is a file or a folder holding something other than a run."""
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is a file; choose another --out")
    if out.is_dir() and not (out / RUN_FILE).exists() and any(out.iterdir()):
        raise InputError(f"{out}: exists and is not a run directory; choose another --out")
    return out


def recover(out: Path, max_age_s: float = 3600) -> None:
    """Undo a swap killed between its two renames; remove leftovers of killed builds."""
    olds = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not out.exists():
        for old in olds:
            if (old / RUN_FILE).is_file():
                os.replace(old, out)
                olds.remove(old)
                break
    now = time.time()
    for leftover in olds + list(out.parent.glob(f".{out.name}.tmp-*")):
        try:
            if now - leftover.stat().st_mtime > max_age_s or leftover in olds:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue


def swap_into_place(tmp: Path, out: Path) -> None:
    """Two renames (old run aside, new one in); :func:`recover` undoes a kill between them."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class Run:
    """A finished run as the dashboard and the CLI's other commands see it."""

    path: Path
    papers: pd.DataFrame
    topics: pd.DataFrame
    trends: pd.DataFrame
    skipped: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def theme_names(self) -> list[str]:
        return list(self.meta.get("parameters", {}).get("theme_names", []))


def is_run(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".") and (path / RUN_FILE).is_file()


def load_run(path: Path | str) -> Run:
    """Read a run directory (exact Parquet frames, not the escaped CSVs)."""
    path = Path(path)
    if not is_run(path):
        raise InputError(f"{path}: not a finished run directory (no {RUN_FILE})")
    try:
        meta = json.loads((path / RUN_FILE).read_text())
        papers = pd.read_parquet(path / "papers.parquet")
        topics = pd.read_parquet(path / "topics.parquet")
        trends = pd.read_csv(path / "trends.csv", dtype={"key": str, "label": str}, keep_default_na=False)
        skipped = pd.read_csv(path / "skipped.csv", dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: damaged run directory ({exc})") from None
    for col in CORE_COLUMNS + ["topic_label", "themes"]:
        papers[col] = papers[col].fillna("").astype(str)
    trends["complete"] = trends["complete"].astype(str).str.lower().eq("true")
    for col in ("count", "period_total"):
        trends[col] = pd.to_numeric(trends[col])
    trends["share"] = pd.to_numeric(trends["share"])
    return Run(path=path, papers=papers, topics=topics, trends=trends, skipped=skipped, meta=meta)


def list_runs(root: Path | str) -> list[Path]:
    """Finished runs under a folder, newest first; half-written (hidden) folders never appear."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if is_run(p)]
    return sorted(runs, key=lambda p: (p / RUN_FILE).stat().st_mtime, reverse=True)
