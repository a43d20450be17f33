"""Assigning new papers to a finished run's topics without refitting or changing the run.

A new paper gets the topic ``add`` would give it: a similarity-weighted vote
of its most similar papers of the run (:func:`analysis.placement.neighbour_topics`),
over the topics the run shows now, so a user's merges, splits and moves count
and the labels are the current ones. Runs written before vectors were kept
fall back to the saved model's topic centroids (``topic_centroids.safetensors``,
or BERTopic's own files before that). Themes are filed from the run's theme
list with the vectors already computed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .config import EmbedConfig, default_cache_dir, model_cache_dir, shipped_embedding_dirs
from .corpus import Corpus, load_corpus
from .embed import EmbeddingCache, SentenceEmbedder, embed_with_cache
from .hierarchy import with_paper_areas
from .placement import nearest_centroid, neighbour_topics
from .rundir import Run, load_run, load_vectors
from .themes import assign_themes, load_themes, themes_from_run
from .topics import load_centroids
from .vectors import column_to_read, new_papers_vectors, supplied


def assign_corpus(run: Run, corpus: Corpus, embeddings: np.ndarray, *, embedder=None,
                  cache_dir=None) -> pd.DataFrame:
    """Topic, label, broad area and themes for papers the run has not seen (the run's current topics)."""
    vectors = load_vectors(run.path, len(run.papers))
    if vectors is not None:
        topics = neighbour_topics(embeddings, vectors, run.papers["topic_id"].to_numpy())
    else:  # an older run: the saved model's centroids (fitted topics, before any edit)
        ids, centroids = load_centroids(Path(run.path) / "model")
        topics = nearest_centroid(embeddings, centroids, ids)
    labels = dict(zip(run.topics["topic_id"], run.topics["topic_label"]))
    out = corpus.papers[["paper_id", "title", "date"]].copy()
    out["topic_id"] = topics
    out["topic_label"] = [labels.get(int(t), "") for t in topics]
    out = with_paper_areas(out, run.topics)  # each paper in its topic's broad area (when the run has areas)
    themes = themes_from_run(run.meta) or load_themes(None)  # as add files them
    own = supplied(run.meta) is not None  # the papers' own vectors: themes are filed without the model
    out["themes"] = assign_themes(corpus.papers, themes, embeddings, embedder=embedder, cache_dir=cache_dir,
                                  supplied=own)
    return out



def run_embedder(meta: dict, cache_dir=None) -> tuple[SentenceEmbedder, EmbeddingCache]:
    """The embedder a run's papers were embedded with (model, token budget, precision), and the cache."""
    model = meta.get("model", {})
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    config = EmbedConfig(model=model.get("embedder", EmbedConfig.model),
                         max_seq_length=int(model.get("max_seq_length", EmbedConfig.max_seq_length)),
                         precision=model.get("precision", EmbedConfig.precision))
    embedder = SentenceEmbedder.from_config(config, model_cache=model_cache_dir(cache_dir))
    if getattr(embedder, "needs_conversion", lambda: False)():
        embedder.prepare()
    return embedder, EmbeddingCache(cache_dir, extra_dirs=shipped_embedding_dirs())


def assign_files(run_dir: Path, inputs: list[str], cache_dir=None) -> pd.DataFrame:
    """Embed new papers as the run's papers were (its model, token budget and precision) and assign them."""
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    run = load_run(run_dir)
    record = supplied(run.meta)
    if record:  # the run's vectors are the papers' own: so must the new papers' be
        corpus = load_corpus(inputs, vector_column=column_to_read(record))
        return assign_corpus(run, corpus, new_papers_vectors(record, corpus.vectors), cache_dir=cache_dir)
    embedder, cache = run_embedder(run.meta, cache_dir)
    corpus = load_corpus(inputs)
    embeddings, _ = embed_with_cache(corpus.texts, embedder, cache)
    return assign_corpus(run, corpus, embeddings, embedder=embedder, cache_dir=cache_dir)
