"""Topic quality side by side on the labelled arXiv dev set (not a test: prints a table).

    python bench/bench_quality.py [--labelled PATH] [--seeds 5] [--limit N] [--skip-plain]
                                  [--variants exact,224-tokens,192-tokens,128-tokens,model=PATH]

Rows: this project's default build, plain BERTopic with its defaults and the
same bundled model, TF-IDF + SVD + k-means and LDA (both told the true k).
Columns: NMI, ARI, topics, NPMI, diversity, seconds. Then the stability of
the default build over several seeds: mean pairwise ARI and topic counts.
With --variants, faster embedding settings against the default, seed by seed.
Labels are used only to score, never to build.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
from _measure import record_results

from analysis.config import BuildConfig, default_cache_dir
from analysis.corpus import load_corpus
from analysis.metrics import agreement, npmi_coherence, topic_diversity
from analysis.run import build, with_overrides

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_LABELLED = ROOT.parent / "shared" / "data" / "arxiv_labelled" / "arxiv_labelled_dev.csv"


def row(name, labels, pred, docs, words, seconds) -> dict:
    a = agreement(labels, pred)
    coh = npmi_coherence(docs, words, top_n=10)
    return {"method": name, "NMI": a["nmi"], "ARI": a["ari"], "topics": len(words),
            "NPMI": float(np.mean(list(coh.values()))) if coh else float("nan"),
            "diversity": topic_diversity(words, 25), "word_div": topic_diversity(words, 25, split_phrases=True),
            "seconds": seconds}


def project(corpus, labels, cache, seed=42, name="this project (default)", **overrides):
    config = with_overrides(BuildConfig(), seed=seed, **overrides)
    t0 = time.perf_counter()
    res = build(corpus, config, cache_dir=cache)
    secs = time.perf_counter() - t0
    topics = res.model.result_
    words = {t: [w for w, _ in kw] for t, kw in topics.keywords.items() if t != -1}
    return res, row(name, labels, res.papers["topic_id"].to_numpy(), corpus.texts, words, secs)


def plain_bertopic(docs, labels, seed=42):
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer
    from umap import UMAP

    from analysis.embed import bundled_model_path

    t0 = time.perf_counter()
    st = SentenceTransformer(str(bundled_model_path()), device="cpu")
    # BERTopic's defaults, with only the seed fixed so the comparison is repeatable.
    model = BERTopic(embedding_model=st, umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0,
                                                        metric="cosine", random_state=seed))
    pred, _ = model.fit_transform(docs)
    secs = time.perf_counter() - t0
    words = {t: [w for w, _ in ws] for t, ws in model.get_topics().items() if t != -1}
    return row("plain BERTopic (defaults, same model)", labels, np.asarray(pred), docs, words, secs)


def tfidf_kmeans(docs, labels, k, seed=42):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    t0 = time.perf_counter()
    vec = TfidfVectorizer(stop_words="english", min_df=2, max_df=0.5, sublinear_tf=True)
    X = vec.fit_transform(docs)
    Z = TruncatedSVD(100, random_state=seed).fit_transform(X)
    Z /= np.linalg.norm(Z, axis=1, keepdims=True) + 1e-12
    pred = KMeans(k, n_init=10, random_state=seed).fit_predict(Z)
    secs = time.perf_counter() - t0
    vocab = np.array(vec.get_feature_names_out())
    words = {c: vocab[np.asarray(X[pred == c].mean(axis=0)).ravel().argsort()[::-1][:25]].tolist() for c in range(k)}
    return row(f"TF-IDF + SVD + k-means (k={k})", labels, pred, docs, words, secs)


def lda(docs, labels, k, seed=42):
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.feature_extraction.text import CountVectorizer

    t0 = time.perf_counter()
    vec = CountVectorizer(stop_words="english", min_df=2, max_df=0.5)
    X = vec.fit_transform(docs)
    model = LatentDirichletAllocation(k, random_state=seed, learning_method="batch", max_iter=20)
    pred = model.fit_transform(X).argmax(axis=1)
    secs = time.perf_counter() - t0
    vocab = np.array(vec.get_feature_names_out())
    words = {c: vocab[model.components_[c].argsort()[::-1][:25]].tolist() for c in range(k)}
    return row(f"LDA (k={k})", labels, pred, docs, words, secs)


def print_table(rows: list[dict]) -> None:
    print(f"| {'method':<40} | NMI   | ARI   | topics | NPMI   | diversity | word diversity | seconds |")
    print(f"|{'-' * 42}|-------|-------|--------|--------|-----------|----------------|---------|")
    for r in rows:
        print(f"| {r['method']:<40} | {r['NMI']:.3f} | {r['ARI']:.3f} | {r['topics']:>6} | {r['NPMI']:+.3f} "
              f"| {r['diversity']:.3f}     | {r['word_div']:.3f}          | {r['seconds']:7.1f} |")


def stability(corpus, cache, seeds: list[int]) -> None:
    from sklearn.metrics import adjusted_rand_score

    preds, counts = [], []
    for s in seeds:
        res = build(corpus, with_overrides(BuildConfig(), seed=s), cache_dir=cache)
        preds.append(res.papers["topic_id"].to_numpy())
        counts.append(int(res.meta["counts"]["topics"]))
    aris = [adjusted_rand_score(a, b) for a, b in itertools.combinations(preds, 2)]
    mean = float(np.mean(counts))
    spread = max(abs(c - mean) / mean for c in counts)
    print(f"\nstability over seeds {seeds}: mean pairwise ARI {np.mean(aris):.3f} (min {np.min(aris):.3f}); "
          f"topic counts {counts} (max deviation from mean {spread:.0%})")


#: Faster settings the default was chosen against (see the README's Performance section).
VARIANTS = {"exact": {"precision": "fp32"}, "224-tokens": {"max_seq_length": 224},
            "192-tokens": {"max_seq_length": 192}, "128-tokens": {"max_seq_length": 128}}


def variant(name: str) -> dict:
    """A named setting, or ``model=PATH`` for another local sentence-transformers model (e.g. a distilled one)."""
    if name.startswith("model="):
        return {"model": name.removeprefix("model=")}
    return VARIANTS[name]


def against_default(corpus, labels, cache, names: list[str], seeds: list[int]) -> None:
    """One seed moves NMI by ~0.01, so a setting is compared with the default over several seeds."""
    unknown = [n for n in names if n not in VARIANTS and not n.startswith("model=")]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {list(VARIANTS)} or model=PATH")
    base = [project(corpus, labels, cache, seed=seed)[1]["NMI"] for seed in seeds]
    print(f"\n| setting | NMI by seed {seeds} | mean | vs default |\n|---|---|---|---|")
    print(f"| default | {', '.join(f'{x:.3f}' for x in base)} | {np.mean(base):.3f} | |")
    for name in names:
        nmi = [project(corpus, labels, cache, seed=seed, **variant(name))[1]["NMI"] for seed in seeds]
        print(f"| {name} | {', '.join(f'{x:.3f}' for x in nmi)} | {np.mean(nmi):.3f} | "
              f"{np.mean(nmi) - np.mean(base):+.3f} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labelled", type=Path, default=DEFAULT_LABELLED)
    p.add_argument("--label-column", default="primary_category")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--limit", type=int, default=None, help="use only the first N papers")
    p.add_argument("--skip-plain", action="store_true", help="skip plain BERTopic (it embeds at 256 tokens: slow)")
    p.add_argument("--cache", type=Path, default=None)
    p.add_argument("--variants", default="",
                   help=f"faster settings to compare with the default seed by seed: {','.join(VARIANTS)}, "
                        "or model=PATH (a local sentence-transformers folder)")
    args = p.parse_args()
    record_results("bench_quality")
    cache = args.cache or default_cache_dir()

    corpus = load_corpus([args.labelled])
    if args.limit:
        corpus.papers = corpus.papers.head(args.limit).reset_index(drop=True)
    labels = corpus.papers[args.label_column].astype(str).to_numpy()
    k = len(set(labels))
    docs = corpus.texts
    print(f"{len(docs)} papers, {k} labels ({args.labelled.name})\n")
    rows = [project(corpus, labels, cache)[1]]
    if not args.skip_plain:
        rows.append(plain_bertopic(docs, labels))
    rows += [tfidf_kmeans(docs, labels, k), lda(docs, labels, k)]
    print_table(rows)
    if args.variants:
        against_default(corpus, labels, cache, [v.strip() for v in args.variants.split(",")], [42, 0, 1])
    if args.seeds > 1:
        stability(corpus, cache, list(range(args.seeds)))


if __name__ == "__main__":
    main()
