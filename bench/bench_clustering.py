"""Clustering choices against arXiv categories on labelled sets never tuned on, over seeds (prints tables).

    python bench/bench_clustering.py [--sets tune,heldout,dev,dev+heldout] [--seeds 42,0,1]
                                     [--variants default,eom,...] [--cache DIR]

Issue #18 item 2: clusters closer to how the field divides, without being told k. Each variant
changes one step of the default clustering (UMAP on the embeddings, HDBSCAN's leaf clusters with
the corpus-scaled minimum topic size, outliers to the nearest topic centroid in the UMAP space) and
is scored by NMI and ARI against ``primary_category``, seed by seed, with the number of topics, the
share HDBSCAN left as outliers, the mean pairwise ARI between the seeds' topics, and the NMI of the
broad areas (analysis/hierarchy.py) above the topics.

The sets (``build_sets``): the bulk arXiv listing without the dev set's papers has only cs.CV, cs.CL
and cs.AI in numbers (the dev set holds every bulk paper of its six smaller categories), so the
labelled sets made from it are those three (500 each for ``tune``, 1,000 others each for
``heldout``) and the six next largest categories (cs.SD, cs.CR, eess.SY, cs.CY, cs.SE, eess.AS),
split in half between the two. ``dev`` is the labelled dev set; ``dev+heldout`` (6,465 papers,
nothing of it tuned on) is close in size to the hidden evaluation's 7,811. Labels only score.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from _measure import record_results

from analysis.config import (
    EmbedConfig,
    ReduceConfig,
    auto_min_topic_size,
    auto_n_neighbors,
    default_cache_dir,
    model_cache_dir,
)
from analysis.corpus import load_corpus
from analysis.embed import EmbeddingCache, EmbeddingPlan, SentenceEmbedder
from analysis.hierarchy import TopicHierarchy
from analysis.metrics import agreement
from analysis.placement import nearest_centroid, topic_centroids, unit_rows
from analysis.reduce import Reducer, ReductionCache, exact_cosine_knn
from analysis.topics import order_by_size, reassign_outliers

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
DEV = DATA / "arxiv_labelled" / "arxiv_labelled_dev.csv"
BULK = DATA / "arxiv_bulk" / "arxiv_bulk.parquet"
BIG = ["cs.CV", "cs.CL", "cs.AI"]
SMALL = ["cs.SD", "cs.CR", "eess.SY", "cs.CY", "cs.SE", "eess.AS"]


def build_sets(out: Path, seed: int = 20261203) -> dict[str, Path]:
    """``tune`` and ``heldout`` CSVs from the bulk listing, no dev-set paper in either (deterministic)."""
    out.mkdir(parents=True, exist_ok=True)
    bulk = pd.read_parquet(BULK)
    dev = pd.read_csv(DEV, dtype=str)
    rest = bulk[~bulk["arxiv_id"].isin(dev["arxiv_id"])]
    rng = np.random.default_rng(seed)
    tune, held = [], []
    for cat in BIG + SMALL:
        group = rest[rest["primary_category"] == cat]
        order = rng.permutation(len(group))
        cut = 500 if cat in BIG else len(group) // 2
        end = 1500 if cat in BIG else len(group)
        tune.append(group.iloc[order[:cut]])
        held.append(group.iloc[order[cut:end]])
    paths = {"tune": out / "tune.csv", "heldout": out / "heldout.csv"}
    for name, parts in (("tune", tune), ("heldout", held)):
        pd.concat(parts).sort_values("listing_date", kind="stable").to_csv(paths[name], index=False)
    assert not set(pd.read_csv(paths["tune"], dtype=str)["arxiv_id"]) & set(dev["arxiv_id"])
    return paths | {"dev": DEV}


def load_set(paths: list[Path], cache: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, int8 ONNX vectors (the build's, from its cache; missing ones embedded and kept) and labels."""
    corpus = load_corpus(paths)
    embedder = SentenceEmbedder.from_config(EmbedConfig(), model_cache=model_cache_dir(cache))
    plan = EmbeddingPlan(corpus.texts, embedder, EmbeddingCache(cache))
    if plan.todo:
        print(f"embedding {len(plan.todo)} papers", flush=True)
        for start in range(0, len(plan.todo), 500):
            idx = plan.todo[start:start + 500]
            plan.keep(idx, embedder.encode(plan.texts_at(idx)))
    vectors = np.vstack([plan.found[k] for k in plan.keys]).astype(np.float32)
    return corpus.texts, vectors, corpus.papers["primary_category"].astype(str).to_numpy()


def lexical(texts: list[str], seed: int, dims: int = 100) -> np.ndarray:
    """TF-IDF + SVD, unit rows: the lexical features of issue #18's lead."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(stop_words="english", min_df=2, max_df=0.5, sublinear_tf=True).fit_transform(texts)
    return unit_rows(TruncatedSVD(dims, random_state=seed).fit_transform(tfidf)).astype(np.float32)


def knn_vote(raw: np.ndarray, vectors: np.ndarray, k: int = 15, rounds: int = 10) -> np.ndarray:
    """Outliers take the similarity-weighted majority topic of their clustered k nearest neighbours (cosine)."""
    labels = raw.copy()
    idx, dist = exact_cosine_knn(vectors, k + 1)
    idx, weight = idx[:, 1:], 1.0 - dist[:, 1:]
    for _ in range(rounds):
        out = np.flatnonzero(labels == -1)
        if not len(out):
            break
        score = np.zeros((len(out), labels.max() + 1))
        for j in range(k):
            near = labels[idx[out, j]]
            ok = near >= 0
            np.add.at(score, (np.flatnonzero(ok), near[ok]), weight[out[ok], j])
        found = score.max(axis=1) > 0
        labels[out[found]] = score[found].argmax(axis=1)
    return reassign_outliers(labels, vectors) if (labels == -1).any() else labels


#: name -> (what it changes, its settings). Defaults: features "emb", selection "leaf", size factor 1,
#: min_samples None (HDBSCAN: the minimum topic size), neighbours None (auto), reassign "umap".
VARIANTS = {
    "default": ("the default build's clustering", {}),
    "eom": ("HDBSCAN's excess-of-mass selection instead of leaves", {"selection": "eom"}),
    "size x1.5": ("minimum topic size x1.5", {"size": 1.5}),
    "size x2": ("minimum topic size x2", {"size": 2.0}),
    "min_samples 10": ("HDBSCAN min_samples 10 (default: the minimum topic size)", {"min_samples": 10}),
    "min_samples x2": ("HDBSCAN min_samples twice the minimum topic size", {"min_samples_factor": 2.0}),
    "neighbours 50": ("UMAP neighbourhood 50 (default: up to 30)", {"neighbours": 50}),
    "lexical 0.3": ("TF-IDF+SVD beside the embeddings (30% of the squared norm) before UMAP", {"lexical": 0.3}),
    "lexical 0.15": ("the same, 15%", {"lexical": 0.15}),
    "reassign cosine": ("outliers to the nearest centroid by cosine in the embedding space",
                        {"reassign": "cosine"}),
    "reassign kNN vote": ("outliers by a vote of their 15 nearest clustered papers (embedding cosine)",
                          {"reassign": "vote"}),
}


def run_variant(texts, vectors, settings: dict, seed: int, cache: Path) -> tuple[np.ndarray, float]:
    """Topic per paper (0.. by size) and HDBSCAN's outlier share, for one variant and seed."""
    from hdbscan import HDBSCAN

    n = len(texts)
    unit = unit_rows(vectors)
    features = vectors
    if settings.get("lexical"):
        w = settings["lexical"]
        features = np.hstack([unit * np.sqrt(1 - w), lexical(texts, seed) * np.sqrt(w)]).astype(np.float32)
    config = replace(ReduceConfig(), n_neighbors=settings.get("neighbours"))
    reduced = Reducer(config, seed=seed, cache=ReductionCache(cache)).cluster_space(features)
    mts = int(round(auto_min_topic_size(n) * settings.get("size", 1.0)))
    min_samples = settings.get("min_samples")
    if settings.get("min_samples_factor"):
        min_samples = int(round(mts * settings["min_samples_factor"]))
    raw = HDBSCAN(min_cluster_size=mts, min_samples=min_samples, metric="euclidean",
                  cluster_selection_method=settings.get("selection", "leaf"), core_dist_n_jobs=1).fit_predict(reduced)
    if (raw == -1).all():
        raw = np.zeros(n, dtype=int)
    how = settings.get("reassign", "umap")
    if how == "umap":
        labels = reassign_outliers(raw, reduced)
    elif how == "cosine":
        labels, out = raw.copy(), raw == -1
        ids, centroids = topic_centroids(unit, raw, unit=True)
        labels[out] = nearest_centroid(unit[out], centroids, ids)
    else:
        labels = knn_vote(raw, unit)
    return order_by_size(labels), float((raw == -1).mean())


def measure(name: str, texts, vectors, y, seeds: list[int], cache: Path) -> dict:
    from sklearn.metrics import adjusted_rand_score

    settings = VARIANTS[name][1]
    per_seed, preds = [], []
    t0 = time.perf_counter()
    for seed in seeds:
        topics, outliers = run_variant(texts, vectors, settings, seed, cache)
        fine = agreement(y, topics)
        areas = TopicHierarchy().fit(vectors, topics, texts).areas(topics)
        per_seed.append({"nmi": fine["nmi"], "ari": fine["ari"], "topics": int(topics.max() + 1),
                         "outliers": outliers, "coarse_nmi": agreement(y, areas)["nmi"],
                         "areas": len(set(areas.tolist()))})
        preds.append(topics)
    stab = [adjusted_rand_score(a, b) for a, b in itertools.combinations(preds, 2)]
    mean = {k: float(np.mean([r[k] for r in per_seed])) for k in per_seed[0]}
    return {"name": name, "per_seed": per_seed, "mean": mean, "seed_ari": float(np.mean(stab)) if stab else 1.0,
            "seconds": time.perf_counter() - t0}


def print_set(name: str, n: int, k: int, rows: list[dict], seeds: list[int]) -> None:
    base = rows[0]["mean"]["nmi"]
    print(f"\n### {name}: {n} papers, {k} categories, minimum topic size {auto_min_topic_size(n)}, "
          f"{auto_n_neighbors(n)} neighbours\n")
    print(f"| variant | NMI, seeds {' / '.join(map(str, seeds))} | mean NMI | vs default | mean ARI | topics "
          "| outliers | seed ARI | areas | coarse NMI |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        m = r["mean"]
        nmis = " / ".join(f"{s['nmi']:.3f}" for s in r["per_seed"])
        topics = "/".join(str(s["topics"]) for s in r["per_seed"])
        print(f"| {r['name']} | {nmis} | {m['nmi']:.3f} | {m['nmi'] - base:+.3f} | {m['ari']:.3f} | {topics} "
              f"| {m['outliers']:.2f} | {r['seed_ari']:.3f} | {m['areas']:.1f} | {m['coarse_nmi']:.3f} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", default="tune,heldout,dev,dev+heldout")
    p.add_argument("--seeds", default="42,0,1")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--cache", type=Path, default=None)
    p.add_argument("--work", type=Path, default=ROOT / "runs" / "bench_clustering",
                   help="where the tune and held-out CSVs are written")
    args = p.parse_args()
    record_results("bench_clustering")
    cache = args.cache or default_cache_dir()
    seeds = [int(s) for s in args.seeds.split(",")]
    names = [v.strip() for v in args.variants.split(",")]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    if names[0] != "default":
        names.insert(0, "default")
    paths = build_sets(args.work)
    print("Variants: " + "; ".join(f"**{v}**: {VARIANTS[v][0]}" for v in names))
    for set_name in args.sets.split(","):
        texts, vectors, y = load_set([paths[s] for s in set_name.split("+")], cache)
        rows = [measure(v, texts, vectors, y, seeds, cache) for v in names]
        print_set(set_name, len(y), len(set(y)), rows, seeds)


if __name__ == "__main__":
    main()
