"""Embedding throughput per setting (not a test: prints a table for the README).

    python bench/bench_embed.py [--n 480] [--input PATH]

For each setting (token budget x precision x parallel model calls) it prints
abstracts per second on this machine and the mean / minimum cosine of its
vectors to the exact model (fp32, 256 tokens) on the same papers, so speed
and drift are judged side by side. Cluster quality of a setting is measured
by bench/bench_quality.py, which builds with it on the labelled dev set.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np
from _measure import record_results

from analysis.config import EmbedConfig
from analysis.corpus import load_corpus
from analysis.embed import SentenceEmbedder

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_INPUT = ROOT.parent / "shared" / "data" / "arxiv_labelled" / "arxiv_labelled_dev.csv"
SETTINGS = [  # (tokens, precision, parallel model calls (None = one per core), batch size)
    (256, "fp32", 1, 16), (256, "fp32", None, 16), (256, "int8", 1, 1), (256, "int8", None, 1),
    (224, "int8", None, 1), (192, "int8", None, 1), (128, "fp32", None, 16), (128, "int8", None, 1),
]


def throughput(embedder: SentenceEmbedder, texts: list[str]) -> tuple[float, np.ndarray]:
    embedder.encode(texts[:32])  # model load and first-call overheads are not throughput
    t0 = time.perf_counter()
    vectors = embedder.encode(texts)
    return len(texts) / (time.perf_counter() - t0), vectors


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=480)
    p.add_argument("--input", default=str(DEFAULT_INPUT))
    args = p.parse_args()
    record_results("bench_embed")
    texts = load_corpus([args.input]).texts[: args.n]
    print(f"# bench_embed {date.today()} on {platform.machine()}, {os.cpu_count()} cores, {len(texts)} abstracts\n")
    print("int8 = the model converted once to int8 ONNX and run with onnxruntime, one paper per call; "
          "fp32 = the exact model in torch (batch 16)\n")
    print("| tokens | precision | model calls in parallel | batch | abstracts/s | cosine to exact (mean / min) "
          "| same paper, other batch-mates (min cosine) |")
    print("|---|---|---|---|---|---|---|")
    reference = None
    for tokens, precision, workers, batch in SETTINGS:
        embedder = SentenceEmbedder.from_config(EmbedConfig(max_seq_length=tokens, precision=precision,
                                                            workers=workers, batch_size=batch))
        rate, vectors = throughput(embedder, texts)
        if reference is None:
            reference = vectors
        cos = np.sum(vectors * reference, axis=1)
        # Dynamic int8 quantises each model call with one activation scale, so a vector could depend on its
        # batch-mates; int8 makes one call per paper, and this column checks that it does not.
        regrouped = embedder.encode(texts[:8] + texts[-24:])[:8]
        stable = np.sum(regrouped * vectors[:8], axis=1).min()
        calls = workers or os.cpu_count()
        print(f"| {tokens} | {precision} | {calls} | {batch} | {rate:.1f} | {cos.mean():.3f} / {cos.min():.3f} "
              f"| {stable:.4f} |", flush=True)


if __name__ == "__main__":
    main()
