"""Apply themes to a finished run without rebuilding it: re-file its papers and rewrite it atomically.

Themes need no re-clustering: the run's papers keep their topics and map
positions; only the ``themes`` and ``theme_reasons`` columns, the topics
table's ``themes`` column, the theme rows of the trends and run.json's
theme list change. The vectors come from the embedding cache, which holds
every paper the run embedded (the demo corpus's ship with the project), so
nothing is embedded again. The new files are written into a copy of the
run folder (hard links for the files that do not change) that then
replaces it in two renames, as a build does: a reader sees the old run or
the new one, never half of each.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .rundir import RUN_FILE, TABLE_FILES, Run, linked_copy, load_run, recover, swap_into_place, write_tables
from .runlock import RunLock
from .theme_stats import topic_theme_column
from .themes import FiledPapers, ThemeSet, embed_texts, file_papers

REASONS = "theme_reasons"


@dataclass
class Applied:
    """What applying themes did: the run folder, papers per theme, seconds per step."""

    path: Path
    counts: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    filed: FiledPapers | None = None


def run_embedder(run: Run, cache_root: Path):
    """The embedder that made the run's vectors, as run.json records it."""
    from .config import EmbedConfig, model_cache_dir
    from .embed import SentenceEmbedder

    model = run.meta.get("model", {})
    config = EmbedConfig(model=model.get("embedder", EmbedConfig.model),
                         max_seq_length=int(model.get("max_seq_length", EmbedConfig.max_seq_length)),
                         precision=model.get("precision", EmbedConfig.precision))
    return SentenceEmbedder.from_config(config, model_cache=model_cache_dir(cache_root))


def theme_vectors(run: Run, cache_root: Path, embeddings: np.ndarray | None = None) -> tuple[object, np.ndarray]:
    """(embedder, the papers' vectors) that themes are filed with; no embedder when the papers brought vectors.

    A supplied-vector run's papers are filed with their stored vectors and
    the bundled model is never loaded (:func:`analysis.themes.file_papers`).
    """
    from .growth import stored_vectors
    from .vectors import supplied

    if supplied(run.meta):
        return None, stored_vectors(run) if embeddings is None else embeddings
    embedder = run_embedder(run, cache_root)
    return embedder, embed_texts(run_texts(run.papers), embedder, cache_root) if embeddings is None else embeddings


def run_workbench(run: Run, cache_root: Path):
    """A :class:`~analysis.theme_workbench.ThemeWorkbench` of a run's papers (the dashboard's theme editor)."""
    from .theme_workbench import ThemeWorkbench

    embedder, vectors = theme_vectors(run, cache_root)
    return ThemeWorkbench.for_papers(run.papers, vectors, embedder=embedder, cache_dir=cache_root,
                                     supplied=embedder is None)


def run_texts(papers: pd.DataFrame) -> list[str]:
    """What the build embedded for each paper ("title. abstract", :attr:`analysis.corpus.Corpus.texts`)."""
    return (papers["title"].astype(str) + ". " + papers["abstract"].astype(str)).tolist()


def refile(run: Run, themes: ThemeSet, *, cache_dir: str | Path | None = None,
           embeddings: np.ndarray | None = None, workbench=None
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict, FiledPapers]:
    """The run's papers, topics, trends and run.json with ``themes`` applied (nothing is written).

    ``workbench`` (:class:`analysis.theme_workbench.ThemeWorkbench` of this
    run's papers, as the editor keeps one) saves preparing the papers again.
    """
    from .config import default_cache_dir
    from .trends import compute_trends

    if workbench is not None:
        filed = workbench.file(themes)
    else:
        root = Path(cache_dir) if cache_dir else default_cache_dir()
        embedder, embeddings = theme_vectors(run, root, embeddings)
        filed = file_papers(run.papers, themes, embeddings, embedder=embedder, cache_dir=root,
                            supplied=embedder is None)
    papers = with_theme_columns(run.papers, filed)
    topics = run.topics.copy()
    topics["themes"] = topic_theme_column(topics, papers, themes.names)
    trends = compute_trends(papers[[c for c in papers.columns if not c.startswith("_")]])
    meta = json.loads(json.dumps(run.meta))  # a deep copy
    meta["themes"] = themes.to_records()
    meta["theme_threshold"] = themes.threshold
    params = meta.setdefault("parameters", {})
    params["themes"], params["theme_names"] = themes.source or "edited themes", list(themes.names)
    return papers, topics, trends, meta, filed


def with_theme_columns(papers: pd.DataFrame, filed: FiledPapers) -> pd.DataFrame:
    """``papers`` with new ``themes`` and ``theme_reasons`` columns (the reasons right after the themes)."""
    out = papers.drop(columns=[REASONS], errors="ignore").copy()
    out["themes"] = filed.themes.to_numpy()
    out.insert(out.columns.get_loc("themes") + 1, REASONS, filed.reasons.to_numpy())
    return out


def apply_themes(run_dir: str | Path, themes: ThemeSet, *, cache_dir: str | Path | None = None,
                 workbench=None) -> Applied:
    """Re-file a run's papers under ``themes`` and rewrite the run folder in place, atomically."""
    with RunLock(run_dir):
        return _apply_locked(run_dir, themes, cache_dir, workbench)


def _apply_locked(run_dir: str | Path, themes: ThemeSet, cache_dir, workbench) -> Applied:
    t0 = time.perf_counter()
    recover(Path(run_dir).resolve())
    run = load_run(run_dir)
    t_load = time.perf_counter()
    papers, topics, trends, meta, filed = refile(run, themes, cache_dir=cache_dir, workbench=workbench)
    t_file = time.perf_counter()
    counts = {name: int(sum(name in v.split("; ") for v in papers["themes"])) for name in themes.names}
    meta["theme_counts"] = counts
    meta["themes_applied"] = {"at": datetime.now(UTC).isoformat(timespec="seconds"),
                              "source": meta["parameters"]["themes"], "seconds": round(t_file - t0, 3)}
    rewrite_run(run.path, papers, topics, trends, meta)
    t_write = time.perf_counter()
    seconds = {"load": round(t_load - t0, 3), "file": round(t_file - t_load, 3), "write": round(t_write - t_file, 3)}
    return Applied(path=Path(run.path), counts=counts, seconds=seconds, filed=filed)


def rewrite_run(path: Path, papers: pd.DataFrame, topics: pd.DataFrame, trends: pd.DataFrame, meta: dict) -> None:
    """Replace a run's tables and run.json: write into a hard-linked copy, then swap it in with two renames."""
    path = Path(path).resolve()
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    linked_copy(path, tmp, {*TABLE_FILES["papers"], *TABLE_FILES["topics"], *TABLE_FILES["trends"], RUN_FILE})
    try:
        write_tables(tmp, papers=papers, topics=topics, trends=trends)
        (tmp / RUN_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str))
        swap_into_place(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
