"""Real papers, their vectors and real clusterings for the identity, novelty and layout tests.

Archive papers hit the demo vectors shipped in data/embeddings; everything
else goes through the persistent test cache, and UMAP results are cached
too, so after the first run these take seconds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import EmbedConfig, ReduceConfig, TopicConfig, model_cache_dir, shipped_embedding_dirs
from analysis.corpus import load_corpus
from analysis.embed import EmbeddingCache, SentenceEmbedder, embed_with_cache
from analysis.reduce import Reducer, ReductionCache
from analysis.topics import cluster_topics


@dataclass(frozen=True)
class Papers:
    ids: np.ndarray
    titles: np.ndarray
    dates: np.ndarray
    vectors: np.ndarray

    def take(self, idx) -> Papers:
        return Papers(self.ids[idx], self.titles[idx], self.dates[idx], self.vectors[idx])

    def __len__(self) -> int:
        return len(self.ids)


@functools.cache
def papers_of(files: tuple[Path, ...], cache_dir: Path) -> Papers:
    corpus = load_corpus(list(files))
    embedder = SentenceEmbedder.from_config(EmbedConfig(), model_cache=model_cache_dir(cache_dir))
    cache = EmbeddingCache(cache_dir, extra_dirs=shipped_embedding_dirs())
    vectors, _ = embed_with_cache(corpus.texts, embedder, cache)
    p = corpus.papers
    return Papers(p["paper_id"].to_numpy(), p["title"].to_numpy(), p["date"].to_numpy(), vectors)


def archive(shared_data: Path, cache_dir: Path, *quarters: str) -> Papers:
    files = tuple(shared_data / "hf_daily_papers" / f"hf_daily_papers_{q}.jsonl" for q in quarters)
    return papers_of(files, cache_dir)


def labelled(shared_data: Path, cache_dir: Path, category: str, n: int, tmp: Path) -> Papers:
    """The first ``n`` arXiv papers of one primary category (a subject the Daily Papers rarely feature)."""
    frame = pd.read_csv(shared_data / "arxiv_labelled" / "arxiv_labelled_dev.csv", dtype=str)
    path = tmp / f"{category}-{n}.csv"
    frame[frame["primary_category"] == category].head(n).to_csv(path, index=False)
    return papers_of((path,), cache_dir)


def recluster(vectors: np.ndarray, seed: int, cache_dir: Path) -> np.ndarray:
    """A build's clustering of these vectors with this seed (UMAP 5-D, then the build's clusterer)."""
    reduced = Reducer(ReduceConfig(), seed=seed, cache=ReductionCache(cache_dir)).cluster_space(vectors)
    return cluster_topics(reduced, TopicConfig()).labels


def map_2d(vectors: np.ndarray, seed: int, cache_dir: Path) -> np.ndarray:
    return Reducer(ReduceConfig(), seed=seed, cache=ReductionCache(cache_dir)).map_2d(vectors)


def subjects(papers: Papers, patterns: dict[str, str]) -> dict[str, np.ndarray]:
    """Indices of papers whose title matches exactly one subject's pattern (clearly separate real topics)."""
    titles = pd.Series(papers.titles).str.lower()
    hits = {name: titles.str.contains(pat, regex=True).to_numpy() for name, pat in patterns.items()}
    once = np.sum(list(hits.values()), axis=0) == 1
    return {name: np.flatnonzero(hit & once) for name, hit in hits.items()}
