"""Runs that grow: ``add`` papers to a run, ``refit`` its topics, ``build --like`` an earlier run.

Three rules keep a run trustworthy as it changes (docs/identity.md):

- ``add`` never moves what is there: old papers keep their topic, label and
  map position bit for bit; new papers get the nearest topic (embedding
  space, the topics' centroids), a fit score, a ``novel`` flag and a place
  among their nearest neighbours on the existing map.
- ``refit`` and ``build --like`` re-cluster with the build's own stages and
  then match the new clusters to the old topics (:func:`analysis.identity.match_topics`):
  matched topics keep id and label, new ones get ids never used before, and
  the map is aligned onto the old one.
- Every change is read, computed and swapped into place under the run's
  :class:`~analysis.runlock.RunLock`, through :func:`analysis.rundir.save_run`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .corpus import CORE_COLUMNS, RESULT_COLUMNS, SKIPPED_COLUMNS, Corpus, load_corpus, norm_title, texts_of
from .edits import EDITS_FILE, curate, fitted_view
from .hierarchy import with_paper_areas
from .identity import NOISE, Matching, centroid_map, lineage_start, match_topics
from .novelty import NoveltyModel, pile_up
from .placement import map_positions, nearest_centroid, neighbour_topics
from .runlock import DEFAULT_TIMEOUT_S, RunLock
from .themes import file_papers, load_themes, themes_from_run
from .vectors import column_to_read, new_papers_vectors, same_space, supplied

ALREADY = "already in the run"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def novelty_model(vectors: np.ndarray, topics: np.ndarray) -> NoveltyModel | None:
    """The novel-flag calibration on the papers a fit was made on (None when there is no topic)."""
    topics = np.asarray(topics, dtype=int)
    if not (topics != NOISE).any():
        return None
    return NoveltyModel().fit(vectors, topics)


def fit_state(papers: pd.DataFrame, vectors: np.ndarray, fitted_through: int = 0,
              lineage: list[dict] | None = None, used_ids: list[int] | None = None) -> dict:
    """run.json's record of the last fit: lineage, ids ever used, and the novelty calibration.

    ``fitted_through`` is the number of the last addition the fit included
    (0 for a build): the papers with ``added_in`` up to it calibrate ``novel``.
    """
    topics = papers["topic_id"].to_numpy()
    ids = sorted(set(topics.tolist()) - {NOISE})
    model = novelty_model(vectors, topics)
    return {"lineage": lineage if lineage is not None else lineage_start(ids, at=_now()),
            "used_ids": sorted(set(used_ids or []) | set(ids)), "fitted_through": int(fitted_through),
            "novelty": model.to_dict() if model is not None else None}


def with_growth_columns(papers: pd.DataFrame) -> pd.DataFrame:
    """A run written before ``add`` existed: every paper is from the build, fits as its topic's member."""
    papers = papers.copy()
    if "added_in" not in papers:
        papers["added_in"] = 0
    if "fit_score" not in papers:
        papers["fit_score"] = papers["_rep"] if "_rep" in papers else np.nan
    if "novel" not in papers:
        papers["novel"] = False
    return papers


def with_topic_columns(topics: pd.DataFrame) -> pd.DataFrame:
    defaults = {"label_source": "auto", "status": "new", "parents": ""}
    return topics.assign(**{k: v for k, v in defaults.items() if k not in topics})


def run_vectors(run, embedder, cache) -> np.ndarray:
    """The vectors a run keeps; for an older run, its papers embedded again through the cache."""
    from .embed import embed_with_cache
    from .rundir import load_vectors

    vectors = load_vectors(run.path, len(run.papers))
    if vectors is None:
        vectors, _ = embed_with_cache(texts_of(run.papers), embedder, cache)
    return vectors


def stored_vectors(run) -> np.ndarray:
    """A supplied-vector run's vectors: only the run has them (nothing can embed its papers again)."""
    from .errors import InputError
    from .rundir import VECTORS_FILE, load_vectors

    vectors = load_vectors(run.path, len(run.papers))
    if vectors is None:
        raise InputError(f"{run.path}: {VECTORS_FILE} is missing or damaged, and this run's papers brought their "
                         "own vectors, so they cannot be embedded again; build the run again")
    return vectors


def vector_source(meta: dict, cache_dir) -> tuple[object, object]:
    """(embedder, cache) a run's papers are embedded with; (None, None) when they brought their own vectors."""
    from .assign import run_embedder

    return (None, None) if supplied(meta) else run_embedder(meta, cache_dir)


def run_space_vectors(run, embedder, cache) -> np.ndarray:
    """The run's vectors, in its own space: stored ones for supplied vectors, else :func:`run_vectors`."""
    return stored_vectors(run) if embedder is None else run_vectors(run, embedder, cache)


def new_vectors(meta: dict, corpus: Corpus, rows: np.ndarray, embedder, cache) -> tuple[np.ndarray, int]:
    """(vectors of the corpus's papers ``rows``, how many were embedded) in the run's space.

    A supplied-vector run takes the papers' own vectors, which must be there
    and as long as the run's. A model run embeds the papers' texts with its
    model; vectors the new papers bring are ignored (they live in another
    space), which :class:`AddReport` says.
    """
    from .embed import embed_with_cache

    record = supplied(meta)
    if record:
        return new_papers_vectors(record, None if corpus.vectors is None else corpus.vectors[rows]), 0
    return embed_with_cache(texts_of(corpus.papers.iloc[rows]), embedder, cache)


def split_known(run_papers: pd.DataFrame, corpus: Corpus) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(papers the run lacks, skipped rows for those it has, the rows of the first in the corpus).

    Known: the same id (or arXiv id), or the same normalised title.
    """
    ids = set(run_papers["paper_id"].astype(str))
    titles = {t for t in run_papers["title"].map(norm_title) if t}
    p = corpus.papers
    arxiv = p["_arxiv"] if "_arxiv" in p else pd.Series("", index=p.index)
    known = p["paper_id"].isin(ids) | (arxiv.ne("") & arxiv.isin(ids)) | p["title"].map(norm_title).isin(titles)
    skipped = pd.DataFrame({"source": p.loc[known, "_source"], "row": p.loc[known, "_row"],
                            "title": p.loc[known, "title"], "reason": ALREADY}, columns=SKIPPED_COLUMNS)
    return p[~known].reset_index(drop=True), skipped, np.flatnonzero(~known.to_numpy())


def _new_rows(fresh: pd.DataFrame, columns: list[str], old: pd.DataFrame) -> pd.DataFrame:
    """New papers with the run's columns: an extra column the run lacks is dropped, one they lack is blank."""
    out = pd.DataFrame(index=fresh.index)
    for col in columns:
        if col in fresh:
            out[col] = fresh[col]
        elif col not in RESULT_COLUMNS and not col.startswith("_"):
            out[col] = np.nan if pd.api.types.is_numeric_dtype(old[col]) else ""
    return out


def refresh_topics(topics: pd.DataFrame, papers: pd.DataFrame) -> pd.DataFrame:
    """Sizes, themes and dates from the papers; ids, labels, keywords, representatives and status as they were.

    Keywords are not refreshed on ``add``: recomputing c-TF-IDF and KeyBERT
    for every topic would cost most of a build, and one day's papers hardly
    move them. A refit describes every topic again.
    """
    from .pipeline import topic_stats, with_theme_column

    topics = topics.copy()
    stats = {int(t): topic_stats(g) for t, g in papers.groupby("topic_id", sort=True)}
    for col in ("size", "first_date", "last_date"):
        topics[col] = [stats.get(int(t), {}).get(col, topics[col].iat[i]) for i, t in enumerate(topics["topic_id"])]
    return with_theme_column(topics, papers)


def refresh_metrics(metrics: dict, papers: pd.DataFrame, topics: pd.DataFrame) -> dict:
    """NPMI of the (unchanged) keywords over all papers now in the run; the fit's other figures stay."""
    from .metrics import npmi_coherence
    from .themes import split_themes

    words = {int(t): split_themes(k) for t, k in zip(topics["topic_id"], topics["keywords"]) if int(t) != NOISE}
    per_topic = npmi_coherence(texts_of(papers), words, top_n=10)
    return {**metrics, "npmi": round(float(np.mean(list(per_topic.values()))), 4) if per_topic else None,
            "npmi_per_topic": {str(k): round(v, 4) for k, v in per_topic.items()}}


@dataclass
class AddReport:
    """What one ``add`` did; ``number`` is 0 when nothing was new (the run was left as it was)."""

    number: int
    added: int
    skipped: int
    already: int
    novel: int
    n_input: int
    suggestion: str = ""
    #: the new papers brought vectors that were ignored (a model run embeds them with its model)
    ignored_vectors: bool = False
    seconds: dict = field(default_factory=dict)


def add_papers(run_dir: Path | str, inputs: list[str | Path], *, cache_dir: Path | str | None = None,
               timeout: float | None = DEFAULT_TIMEOUT_S) -> AddReport:
    """Grow a run in place: new papers placed among the fitted topics and on the existing map."""
    from .pipeline import BuildResult, configure_runtime
    from .rundir import load_run, recover, save_run
    from .theme_apply import REASONS
    from .trends import compute_trends

    run_dir = Path(run_dir).resolve()
    t0 = time.perf_counter()
    with RunLock(run_dir, timeout=timeout):
        recover(run_dir)
        run = fitted_view(load_run(run_dir))  # placed among the fitted topics; the edits are applied after
        meta = dict(run.meta)
        papers = with_growth_columns(run.papers)
        own = supplied(meta)  # the run's papers brought their own vectors: so must these
        corpus = load_corpus(list(inputs), year=meta.get("parameters", {}).get("year"),
                             vector_column=column_to_read(own))
        fresh, already, fresh_rows = split_known(papers, corpus)
        skipped_here = len(corpus.skipped) + len(already)
        if fresh.empty:
            return AddReport(0, 0, skipped_here, len(already), 0, corpus.n_input,
                             seconds={"total": round(time.perf_counter() - t0, 3)})
        if cache_dir:
            configure_runtime(Path(cache_dir))
        embedder, cache = vector_source(meta, cache_dir)
        new_vecs, n_new = new_vectors(meta, corpus, fresh_rows, embedder, cache)
        old_vecs = run_space_vectors(run, embedder, cache)
        t_embed = time.perf_counter()

        fitted = papers["added_in"].to_numpy() <= int(meta.get("fitted_through", 0))
        model = novelty_model(old_vecs[fitted], papers["topic_id"].to_numpy()[fitted])
        number = len(meta.get("additions", [])) + 1
        rows = _new_rows(fresh, list(papers.columns), papers)
        if model is None:  # a run with no topic at all: everything stays in -1
            topic, score, novel = np.full(len(fresh), NOISE), np.zeros(len(fresh)), np.ones(len(fresh), bool)
        else:
            topic = neighbour_topics(new_vecs, old_vecs[fitted], papers["topic_id"].to_numpy()[fitted])
            score, novel = model.fit_scores(new_vecs, topic), model.novel(new_vecs)
        labels = dict(zip(run.topics["topic_id"].astype(int), run.topics["topic_label"]))
        xy = map_positions(new_vecs, old_vecs, papers[["x", "y"]].to_numpy(dtype=np.float32))
        themes = themes_from_run(meta) or load_themes(None)
        filed = file_papers(fresh, themes, new_vecs, embedder=embedder, cache_dir=cache_dir, supplied=bool(own))
        rows = rows.assign(topic_id=topic.astype(int), topic_label=[labels.get(int(t), "") for t in topic],
                           themes=filed.themes.to_numpy(), **{REASONS: filed.reasons.to_numpy()},
                           x=np.round(xy[:, 0], 4), y=np.round(xy[:, 1], 4),
                           added_in=number, fit_score=np.round(score, 4), novel=novel.astype(bool),
                           _rep=np.round(score, 4))
        rows = with_paper_areas(rows, run.topics)  # a new paper is in its topic's broad area
        grown = pd.concat([papers, rows[papers.columns]], ignore_index=True)
        grown["added_in"] = grown["added_in"].astype(int)
        grown["novel"] = grown["novel"].astype(bool)
        vectors = np.vstack([old_vecs, new_vecs]).astype(np.float32)

        topics = refresh_topics(with_topic_columns(run.topics), grown)
        skipped = pd.concat([run.skipped, corpus.skipped.astype(str), already.astype(str)], ignore_index=True)
        recent = grown["added_in"].to_numpy() > int(meta.get("fitted_through", 0))
        suggestion = None
        if model is not None:
            mts = int(meta.get("parameters", {}).get("min_topic_size_used") or 3)
            pile = pile_up(vectors[recent], grown["novel"].to_numpy()[recent], model, min_topic_size=mts,
                           run_name=str(run_dir))
            suggestion = {"n_recent": pile.n_recent, "n_novel": pile.n_novel, "suggest_refit": pile.suggest_refit,
                          "message": pile.message}
        counts = dict(meta["counts"])
        counts.update(input=int(counts["input"]) + corpus.n_input, kept=len(grown), skipped=len(skipped),
                      undated=int((grown["date"] == "").sum()), novel=int(grown["novel"].sum()))
        seconds = {"embed": round(t_embed - t0, 3), "total": round(time.perf_counter() - t0, 3)}
        record = {"number": number, "at": _now(), "inputs": corpus.inputs,
                  "counts": {"input": corpus.n_input, "added": len(fresh), "skipped": skipped_here,
                             "already_in_run": len(already), "novel": int(novel.sum()), "embedded_new": int(n_new),
                             "vectors_supplied": len(fresh) if own else 0},
                  "seconds": seconds}
        meta.update(counts=counts, additions=[*meta.get("additions", []), record], pile_up=suggestion,
                    metrics=refresh_metrics(meta.get("metrics", {}), grown, topics))
        result = BuildResult(papers=grown, topics=topics, trends=compute_trends(grown), skipped=skipped, meta=meta,
                             embeddings=vectors)
        save_run(result, run_dir, carry=("model", EDITS_FILE), extra=curate(result, run_dir))
    return AddReport(number, len(fresh), skipped_here, len(already), int(novel.sum()), corpus.n_input,
                     suggestion=(suggestion or {}).get("message", ""), seconds=seconds,
                     ignored_vectors=own is None and corpus.vectors is not None)


# ---------------------------------------------------------------- identity across fits


def _old_assignment(old_papers: pd.DataFrame, old_vecs: np.ndarray, new_ids: pd.Series,
                    new_vecs: np.ndarray) -> tuple[pd.Series, dict[int, np.ndarray]]:
    """Old topic per paper, with the papers the old run lacks given their nearest old topic (so overlap counts)."""
    old_topics = old_papers["topic_id"].to_numpy()
    old = pd.Series(old_topics, index=old_papers["paper_id"].astype(str).to_numpy())
    centroids = centroid_map(old_vecs, old_topics)
    missing = ~new_ids.isin(old.index).to_numpy()
    if missing.any() and centroids:
        ids = np.array(sorted(centroids))
        nearest = nearest_centroid(new_vecs[missing], np.vstack([centroids[t] for t in ids]), ids)
        old = pd.concat([old, pd.Series(nearest, index=new_ids[missing].to_numpy())])
    return old, centroids


def _relabelled_topics(result, matching: Matching, old_topics: pd.DataFrame, relabel: bool) -> pd.DataFrame:
    """The new fit's topic table under final ids: carried topics keep their label (a user's always)."""
    old = with_topic_columns(old_topics).set_index(old_topics["topic_id"].astype(int))
    topics = result.topics.copy()
    topics["topic_id"] = [matching.mapping[int(t)] for t in topics["topic_id"]]
    labels, sources, status, parents = [], [], [], []
    for tid, auto in zip(topics["topic_id"], topics["topic_label"]):
        info = matching.topics.get(int(tid), {"status": "", "parents": []})
        status.append(info["status"])
        parents.append("; ".join(str(p) for p in info["parents"]))
        carried = int(tid) in matching.old and int(tid) in old.index
        source = old.at[int(tid), "label_source"] if carried else "auto"
        keep = carried and (source == "user" or not relabel)
        labels.append(old.at[int(tid), "topic_label"] if keep else auto)
        sources.append(source if keep else "auto")
    topics = topics.assign(topic_label=labels, label_source=sources, status=status, parents=parents)
    return topics.sort_values("topic_id", kind="stable").reset_index(drop=True)


def carry_identity(result, old_run, old_vecs: np.ndarray, *, relabel: bool = False,
                   info: dict | None = None) -> Matching:
    """Give a fresh fit (a :class:`~analysis.pipeline.BuildResult`) the old run's topic ids, labels and map frame.

    Changes ``result`` in place: topic ids and labels of papers and topics,
    trends, the map aligned on the papers of carried topics, and run.json's
    lineage, used ids and novelty calibration.
    """
    from .layout import align_map
    from .trends import compute_trends

    papers, new_vecs = result.papers, result.embeddings
    ids = papers["paper_id"].astype(str)
    old, old_centroids = _old_assignment(old_run.papers, old_vecs, ids, new_vecs)
    labels = papers["topic_id"].to_numpy()
    meta = old_run.meta
    matching = match_topics(old, pd.Series(labels, index=ids.to_numpy()), old_centroids,
                            centroid_map(new_vecs, labels), used_ids=meta.get("used_ids"),
                            lineage=meta.get("lineage") or lineage_start(old_centroids),
                            info={"at": _now(), **(info or {})})
    topics = _relabelled_topics(result, matching, old_run.topics, relabel)
    final = matching.apply(labels)
    label_of = dict(zip(topics["topic_id"].astype(int), topics["topic_label"]))
    papers["topic_id"], papers["topic_label"] = final, [label_of.get(int(t), "") for t in final]

    old_ids = old_run.papers["paper_id"].astype(str).tolist()
    old_topic = dict(zip(old_ids, old_run.papers["topic_id"].astype(int)))
    carried = set(matching.carried)
    anchors = [p for p, t in zip(ids, final) if int(t) in carried and old_topic.get(p) == int(t)]
    alignment = None
    if len(anchors) >= 3:
        xy, transform = align_map(papers[["x", "y"]].to_numpy(dtype=np.float64), ids.tolist(),
                                  old_run.papers[["x", "y"]].to_numpy(dtype=np.float64), old_ids, anchors=anchors)
        papers["x"], papers["y"] = np.round(xy[:, 0], 4), np.round(xy[:, 1], 4)
        alignment = {**transform.to_dict(), "anchors": len(anchors)}
    rank_to_final = {str(k): v for k, v in matching.mapping.items()}
    metrics = result.meta.get("metrics", {})
    if "npmi_per_topic" in metrics:
        metrics["npmi_per_topic"] = {str(rank_to_final.get(k, k)): v for k, v in metrics["npmi_per_topic"].items()}
    result.topics, result.trends = topics, compute_trends(papers)
    result.meta.update(fit_state(papers, new_vecs, lineage=matching.lineage, used_ids=matching.used_ids))
    result.meta["alignment"] = alignment
    return matching


def matching_summary(matching: Matching) -> dict:
    """Counts for the CLI line and run.json: topics kept, split, merged, new, retired; old papers keeping their id."""
    statuses = [t["status"] for t in matching.topics.values()]
    return {"kept": statuses.count("kept"), "split": statuses.count("split"), "merged": statuses.count("merged"),
            "new": statuses.count("new"), "retired": len(matching.retired),
            "share_kept": round(matching.share_kept, 4)}


def corpus_of_run(run) -> Corpus:
    """A run's papers as a corpus again (its skipped rows kept, so input = kept + skipped still holds)."""
    extras = [c for c in run.papers.columns if c not in CORE_COLUMNS + RESULT_COLUMNS and not c.startswith("_")]
    papers = run.papers[CORE_COLUMNS + extras].reset_index(drop=True)
    return Corpus(papers=papers, skipped=run.skipped.copy(), inputs=list(run.meta.get("inputs", [])))


def refit_run(run_dir: Path | str, *, min_topic_size: int | None = None, seed: int | None = None,
              relabel: bool = False, cache_dir: Path | str | None = None,
              timeout: float | None = DEFAULT_TIMEOUT_S, progress=None) -> tuple[Matching, dict]:
    """Re-cluster every paper of a run with the build's stages and keep topic identity."""
    from .config import BuildConfig, with_overrides
    from .pipeline import build
    from .rundir import load_run, recover, save_run

    run_dir = Path(run_dir).resolve()
    with RunLock(run_dir, timeout=timeout):
        recover(run_dir)
        run = fitted_view(load_run(run_dir))  # matched on the fitted topics; the edits are applied again after
        run.papers = with_growth_columns(run.papers)
        embedder, cache = vector_source(run.meta, cache_dir)
        vectors = run_space_vectors(run, embedder, cache)
        params = run.meta.get("parameters", {})
        changes = {k: v for k, v in {"min_topic_size": min_topic_size, "seed": seed}.items() if v is not None}
        config = with_overrides(BuildConfig.from_dict(params), **changes)
        result = build(corpus_of_run(run), config, cache_dir=cache_dir, themes=themes_from_run(run.meta),
                       embedder=embedder, vectors=vectors, supplied=supplied(run.meta), progress=progress)
        matching = carry_identity(result, run, vectors, relabel=relabel, info={"event": "refit", "seed": config.seed})
        added_in = dict(zip(run.papers["paper_id"], run.papers["added_in"]))
        result.papers["added_in"] = result.papers["paper_id"].map(added_in).fillna(0).astype(int)
        summary = matching_summary(matching)
        additions = list(run.meta.get("additions", []))
        result.meta.update(inputs=run.meta.get("inputs", []), additions=additions, created=run.meta.get("created"),
                           fitted_through=len(additions), pile_up=None,
                           refits=[*run.meta.get("refits", []), {"at": _now(), "seed": config.seed, **summary}])
        result.meta["counts"]["embedded_new"] = 0
        save_run(result, run_dir, carry=(EDITS_FILE,), extra=curate(result, run_dir))
    return matching, summary


def like_run(result, old_run_dir: Path | str, *, cache_dir: Path | str | None = None) -> Matching:
    """``build --like``: give a fresh build the ids and labels of an earlier run of the same stream."""
    from .rundir import load_run

    old_run = load_run(old_run_dir)
    same_space(old_run.meta, result.meta, f"--like {old_run_dir}")
    embedder, cache = vector_source(old_run.meta, cache_dir)
    matching = carry_identity(result, old_run, run_space_vectors(old_run, embedder, cache),
                              info={"event": "like", "like": str(Path(old_run_dir).resolve())})
    result.meta["like"] = {"run": str(Path(old_run_dir).resolve()), **matching_summary(matching)}
    return matching
