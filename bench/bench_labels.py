"""Topic label quality and the represent stage's time, before and after phrase labels (not a test: prints tables).

    python bench/bench_labels.py [--inputs seed,demo,dev] [--modes ngrams,phrases] [--repeat 1]

For each input (the seed page, the Daily Papers demo corpus, the labelled arXiv
dev set) and each label mode ("ngrams": the 1-2-word n-gram labels of builds
before 2026-12-02; "phrases": analysis/labels.py), one build with default
settings on the same embeddings; it prints the measures of
:mod:`analysis.label_quality` and the seconds of the represent stage (the
stage labels are made in) and of the whole build, then every label.
The dev set's categories are not used: its papers are only measured on.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from _measure import record_results

from analysis.config import BuildConfig, default_cache_dir
from analysis.corpus import texts_of
from analysis.label_quality import label_quality
from analysis.pipeline import build

ROOT = Path(__file__).resolve().parent.parent
INPUTS = {
    "seed": ROOT / "data" / "daily_papers_page.txt",
    "demo": ROOT / "data" / "hf_daily_papers.parquet",
    "dev": ROOT.parent / "shared" / "data" / "arxiv_labelled" / "arxiv_labelled_dev.csv",
}


def measure(path: Path, mode: str, cache: Path, repeat: int) -> tuple[dict, dict[int, str]]:
    config = BuildConfig()
    config = replace(config, topics=replace(config.topics, labels=mode))
    best = None
    for _ in range(repeat):
        result = build([path], config, cache_dir=cache)
        seconds = result.meta["seconds"]
        if best is None or seconds["represent"] < best[1]["represent"]:
            best = (result, seconds)
    result, seconds = best
    labels = dict(zip(result.topics["topic_id"].astype(int), result.topics["topic_label"]))
    docs = texts_of(result.papers)
    q = label_quality(labels, docs, result.papers["topic_id"].to_numpy())
    return {"represent_s": seconds["represent"], "build_s": round(sum(seconds.values()), 2), **q}, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", default="seed,demo,dev")
    ap.add_argument("--modes", default="ngrams,phrases")
    ap.add_argument("--repeat", type=int, default=1, help="builds per input and mode; the fastest represent counts")
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args()
    record_results("bench_labels")
    cache = args.cache or default_cache_dir()
    print("| input | labels | topics | completeness | cut off | shared phrase pairs | shared head pairs | "
          "max word overlap | label->papers precision | recall | chance | represent s | build s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    listed = {}
    for name in args.inputs.split(","):
        for mode in args.modes.split(","):
            q, labels = measure(INPUTS[name], mode, cache, args.repeat)
            listed[(name, mode)] = (q, labels)
            print(f"| {name} | {mode} | {q['topics']} | {q['completeness']:.3f} | {len(q['cut_off'])} | "
                  f"{q['shared_phrase_pairs']} | {q['shared_head_pairs']} | {q['max_word_overlap']:.2f} | "
                  f"{q['precision']:.3f} | {q['recall']:.3f} | {q['base']:.3f} | {q['represent_s']:.2f} | "
                  f"{q['build_s']:.1f} |", flush=True)
    for (name, mode), (q, labels) in listed.items():
        print(f"\n### {name}, {mode} labels\n")
        print("cut off or not as written: " + ("; ".join(q["cut_off"]) or "none") + "\n")
        for tid, label in sorted(labels.items()):
            print(f"- {tid}: {label}")


if __name__ == "__main__":
    main()
