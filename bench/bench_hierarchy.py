"""The coarse level (broad areas) against the labelled arXiv dev set's 9 categories, over seeds (prints a table).

    python bench/bench_hierarchy.py [--labelled PATH] [--seeds 42,0,1] [--cache DIR]

For each seed: the default build, then NMI and ARI of its fine topics and of
its broad areas (analysis/hierarchy.py) against ``primary_category``, the
number of each, and the silhouette the number of areas was chosen by.
Labels are used only to score, never to build or tune.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _measure import record_results

from analysis.config import BuildConfig, default_cache_dir
from analysis.corpus import load_corpus
from analysis.metrics import agreement
from analysis.run import build, with_overrides

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELLED = ROOT.parent / "shared" / "data" / "arxiv_labelled" / "arxiv_labelled_dev.csv"


def measure(corpus, labels: np.ndarray, cache: Path, seed: int) -> dict:
    res = build(corpus, with_overrides(BuildConfig(), seed=seed), cache_dir=cache)
    fine, coarse = agreement(labels, res.papers["topic_id"].to_numpy()), agreement(labels, res.papers["coarse_id"])
    return {"seed": seed, "fine_nmi": fine["nmi"], "fine_ari": fine["ari"], "topics": res.meta["counts"]["topics"],
            "coarse_nmi": coarse["nmi"], "coarse_ari": coarse["ari"], "areas": res.meta["counts"]["areas"],
            "labels": sorted(set(res.papers["coarse_label"]))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labelled", type=Path, default=DEFAULT_LABELLED)
    p.add_argument("--label-column", default="primary_category")
    p.add_argument("--seeds", default="42,0,1")
    p.add_argument("--cache", type=Path, default=None)
    args = p.parse_args()
    record_results("bench_hierarchy")
    corpus = load_corpus([args.labelled])
    labels = corpus.papers[args.label_column].astype(str).to_numpy()
    print(f"{len(labels)} papers, {len(set(labels))} labels ({args.labelled.name})\n")
    print("| seed | topics | fine NMI | fine ARI | areas | coarse NMI | coarse ARI |\n|---|---|---|---|---|---|---|")
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        r = measure(corpus, labels, args.cache or default_cache_dir(), seed)
        rows.append(r)
        print(f"| {r['seed']} | {r['topics']} | {r['fine_nmi']:.3f} | {r['fine_ari']:.3f} | {r['areas']} "
              f"| {r['coarse_nmi']:.3f} | {r['coarse_ari']:.3f} |", flush=True)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("fine_nmi", "coarse_nmi", "coarse_ari", "areas")}
    print(f"| mean | | {mean['fine_nmi']:.3f} | | {mean['areas']:.1f} | {mean['coarse_nmi']:.3f} "
          f"| {mean['coarse_ari']:.3f} |")
    print(f"\nArea labels, seed {rows[0]['seed']}: " + "; ".join(rows[0]["labels"]))


if __name__ == "__main__":
    main()
