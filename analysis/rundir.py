"""Run directories: writing one atomically, reading it back, listing the finished ones.

The run directory is the contract between the CLI and the dashboard:
papers/topics/trends/skipped as CSV (spreadsheet-safe, for people) and
Parquet (exact, the only copy any reader uses),
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
from .export import to_safe_csv, unescape_cell
from .run_schema import schema_problem
from .runlock import RunLock
from .trends import TREND_COLUMNS, compute_trends

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


#: Where each table goes: a spreadsheet-safe CSV for people, and the exact Parquet copy every reader uses.
TABLE_FILES = {"papers": ("papers.csv", "papers.parquet"), "topics": ("topics.csv", "topics.parquet"),
               "trends": ("trends.csv", "trends.parquet"), "skipped": ("skipped.csv", "skipped.parquet")}
TRENDS_FILE, SKIPPED_FILE = TABLE_FILES["trends"][1], TABLE_FILES["skipped"][1]


def write_tables(folder: Path, **tables: pd.DataFrame) -> None:
    """Write each table given (papers=, topics=, trends=, skipped=) as CSV and Parquet into a new run folder.

    The papers' CSV leaves out internal ``_`` columns. Skipped rows are all
    text, whatever types the readers left in them.
    """
    for name, frame in tables.items():
        csv, parquet = TABLE_FILES[name]
        if name == "papers":
            to_safe_csv(frame.drop(columns=[c for c in frame.columns if c.startswith("_")]), folder / csv)
        else:
            to_safe_csv(frame, folder / csv)
        exact = frame.fillna("").astype(str) if name == "skipped" else frame
        exact.to_parquet(folder / parquet, index=False)


def _write_tables(result: BuildResult, folder: Path) -> None:
    write_tables(folder, papers=result.papers, topics=result.topics, trends=result.trends, skipped=result.skipped)
    if result.embeddings is not None:
        np.save(folder / VECTORS_FILE, np.ascontiguousarray(result.embeddings, dtype=np.float32))


def linked_copy(src: Path, dest: Path, skip: set[str] = frozenset()) -> None:
    """A new run folder holding the old one's files by hard link (copied where links fail), except ``skip``.

    Nothing in a finished run is ever changed in place, so sharing the data
    is safe, as long as the files about to be rewritten are in ``skip``:
    writing through a link would change the live run.
    """
    dest.mkdir()
    for entry in src.iterdir():
        if entry.name in skip:
            continue
        if entry.is_dir():
            shutil.copytree(entry, dest / entry.name, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, dest / entry.name)


def _link_or_copy(src, dest) -> None:
    try:
        os.link(src, dest)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dest)


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
    """Read a run directory: the exact Parquet frames (never the escaped CSVs), after checking run.json's schema.

    A folder that holds a ``run.json`` but cannot be read whole raises
    :class:`DamagedRun` with one line naming the run (not its server path)
    and what is wrong, so a page can say so and carry on with another run.
    """
    path = Path(path)
    if not is_run(path):
        raise InputError(f"{path}: not a finished run directory (no {RUN_FILE})")
    meta = _read_meta(path)
    papers = _read_table(path, "papers.parquet", NEEDED_PAPER_COLUMNS)
    topics = _read_table(path, "topics.parquet", NEEDED_TOPIC_COLUMNS)
    for col in CORE_COLUMNS + ["topic_label", "themes"]:
        papers[col] = papers[col].fillna("").astype(str)
    if (path / TRENDS_FILE).is_file():
        trends = _read_table(path, TRENDS_FILE, TREND_COLUMNS)
    else:  # a run written before trends had an exact copy: recompute them from the papers, exactly
        trends = compute_trends(papers)
    if (path / SKIPPED_FILE).is_file():
        skipped = _read_table(path, SKIPPED_FILE, ())
    else:  # the same, for the skipped rows: only their spreadsheet copy exists
        skipped = _legacy_skipped(path)
    return Run(path=path, papers=papers, topics=topics, trends=trends, skipped=skipped, meta=meta)


class DamagedRun(InputError):
    """A run folder that exists but cannot be read (a file missing, unreadable or not what a build writes)."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"run '{Path(path).name}' cannot be read: {problem}")


#: What the readers of a run rely on; a file without them is damaged, not a run to half-show.
NEEDED_PAPER_COLUMNS = ("paper_id", "title", "abstract", "date", "topic_id", "topic_label", "themes", "x", "y")
NEEDED_TOPIC_COLUMNS = ("topic_id", "topic_label", "size")


def _read_meta(path: Path) -> dict:
    try:
        meta = json.loads((path / RUN_FILE).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DamagedRun(path, f"{RUN_FILE} cannot be opened ({exc.strerror or type(exc).__name__})") from None
    except ValueError as exc:
        raise DamagedRun(path, f"{RUN_FILE} is not valid JSON ({exc})") from None
    problem = schema_problem(meta)
    if problem is not None:
        raise DamagedRun(path, f"{RUN_FILE} does not match the run schema ({problem})")
    return meta


def _read_table(path: Path, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    if not (path / name).is_file():
        raise DamagedRun(path, f"{name} is missing")
    try:
        frame = pd.read_parquet(path / name)
    except (OSError, ValueError) as exc:  # pyarrow's errors for a truncated or foreign file are among these
        raise DamagedRun(path, f"{name} is not a readable Parquet file ({type(exc).__name__})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DamagedRun(path, f"{name} lacks the column{'s' * (len(missing) > 1)} {', '.join(missing)}")
    return frame


def _legacy_skipped(path: Path) -> pd.DataFrame:
    """skipped.csv of an older run, with the formula escaping taken off again."""
    try:
        frame = pd.read_csv(path / "skipped.csv", dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DamagedRun(path, f"skipped.csv cannot be read ({type(exc).__name__})") from None
    return frame.map(unescape_cell)


def list_runs(root: Path | str) -> list[Path]:
    """Finished runs under a folder, newest first; half-written (hidden) folders never appear."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if is_run(p)]
    return sorted(runs, key=lambda p: (p / RUN_FILE).stat().st_mtime, reverse=True)
