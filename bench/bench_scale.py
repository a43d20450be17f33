"""Scaling benchmark: build time and peak memory against corpus size, local and Ray engines.

    python bench/bench_scale.py [--sizes 5000,10000,20000,40000,77000] [--ray-sizes 20000,77000]
                                [--cache DIR]
    python bench/bench_scale.py --embed 1200 [--repeat 2]

The corpus is the Daily Papers archive followed by the arXiv bulk listing
(../shared/data/arxiv_bulk), the first N papers of that concatenation. Each
build runs in its own process; peak RSS is sampled twice a second for that
process and for its whole process tree (for Ray: raylet, object store, workers;
shared memory is counted in every process that maps it, so that column is an
upper bound).
Embeddings are cached in --cache across sizes, so the table reports both the
first-time cost (embedding) and the fit cost, which is measured cold: the
reduction cache is emptied before every build.

``--embed N`` measures the embed stage instead (docs/scaling.md, issue #17):
builds of the first N papers, local then Ray, each from an empty embedding
cache (the converted model is shared, as on any machine after its first
build), with the papers each Ray actor embedded and the machine's load, and
the Ray/local ratio of the embed stage for each pair.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import PeakRSS, record_results

from analysis.pipeline import STAGES

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def corpus(n: int, out: Path) -> Path:
    import pandas as pd

    daily = pd.read_parquet(ROOT / "data" / "hf_daily_papers.parquet")
    bulk = pd.read_parquet(SHARED / "arxiv_bulk" / "arxiv_bulk.parquet")
    bulk = bulk.rename(columns={"listing_date": "date"})
    daily = daily.rename(columns={"featured_date": "date"})
    cols = ["arxiv_id", "date", "title", "abstract", "authors"]
    frame = pd.concat([daily[cols], bulk[cols]], ignore_index=True).head(n)
    frame.to_parquet(out, index=False)
    return out


def one_build(data: Path, cache: Path, engine: str) -> dict:
    import shutil

    # Embeddings are shared across sizes on purpose; UMAP results must not be, or the Ray row at a size
    # the local engine just built would measure a cache hit instead of a fit.
    shutil.rmtree(cache / "reduced", ignore_errors=True)
    out = Path(tempfile.mkdtemp()) / "run"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "build", str(data), "--out", str(out), "--cache",
                             str(cache), "--engine", engine, "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    peak = PeakRSS(proc.pid, interval=0.5, tree=True).start()
    _, err = proc.communicate()
    peak.stop()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(err[-2000:])
    meta = json.loads((out / "run.json").read_text())
    return {"wall": wall, "peak_mb": peak.peak_mb, "tree_mb": peak.tree_mb, "seconds": meta["seconds"],
            "counts": meta["counts"], "embedded_by": meta.get("embedded_by", [])}


MODEL_CACHE = Path(tempfile.gettempdir()) / "bench-model-cache"


def _load() -> str:
    """The 1-minute load average: the figures are only as quiet as the machine was."""
    return f"{os.getloadavg()[0]:.2f}"


def _per_node(by: list[dict]) -> str:
    nodes: dict[str, int] = {}
    for entry in by:
        nodes[entry["node"]] = nodes.get(entry["node"], 0) + entry["papers"]
    return " + ".join(str(n) for n in sorted(nodes.values(), reverse=True))


def embed_rows(n: int, repeat: int) -> None:
    """Local against Ray on the same papers, each build from an empty embedding cache."""
    import shutil
    import statistics

    from analysis.config import EmbedConfig
    from analysis.embed import SentenceEmbedder

    os.environ["PAPERTOPICS_MODEL_CACHE"] = str(MODEL_CACHE)
    SentenceEmbedder.from_config(EmbedConfig(), model_cache=MODEL_CACHE).prepare()  # converted once, not timed
    print("| engine | papers embedded | embed s | papers/s | actors | papers per actor | papers per node | "
          "wall s | load before | load after |")
    print("|---" * 10 + "|")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        data = corpus(n, Path(tmp) / f"c{n}.parquet")
        for _ in range(repeat):
            embed = {}
            for engine in ("local", "ray"):
                cache = Path(tmp) / "cache"
                shutil.rmtree(cache, ignore_errors=True)
                load = _load()
                r = one_build(data, cache, engine)
                by, embed[engine] = r["embedded_by"], r["seconds"]["embed"]
                print(f"| {engine} | {r['counts']['embedded_new']} | {embed[engine]:.1f} | "
                      f"{r['counts']['embedded_new'] / embed[engine]:.1f} | {len(by)} | "
                      f"{', '.join(str(e['papers']) for e in by)} | {_per_node(by)} | {r['wall']:.0f} | {load} | "
                      f"{_load()} |", flush=True)
            ratios.append(embed["ray"] / embed["local"])
    print(f"\nembed stage, ray / local: {', '.join(f'{x:.2f}' for x in ratios)} "
          f"(median {statistics.median(ratios):.2f}; target <= 1.15)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="5000,10000,20000,40000,77000")
    p.add_argument("--ray-sizes", default="20000,77000")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-scale-cache")
    p.add_argument("--embed", type=int, metavar="N", help="measure the embed stage of N papers, local against Ray")
    p.add_argument("--repeat", type=int, default=2, help="--embed: local/Ray pairs to run")
    args = p.parse_args()
    record_results("bench_scale")
    os.environ["PAPERTOPICS_NO_SHIPPED_EMBEDDINGS"] = "1"
    if args.embed:
        embed_rows(args.embed, args.repeat)
        return
    stages = [s.name for s in STAGES if s.name != "load"]
    print("| engine | papers | fitted on | " + " | ".join(stages) + " | wall s | peak RSS MB: build process "
          "| all its processes |")
    print("|---" * (len(stages) + 6) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        plan = [("local", int(s)) for s in args.sizes.split(",") if s]
        plan += [("ray", int(s)) for s in args.ray_sizes.split(",") if s]
        for engine, n in plan:
            data = corpus(n, Path(tmp) / f"c{n}.parquet")
            r = one_build(data, args.cache, engine)
            cells = [f"{r['seconds'].get(s, 0):.1f}" for s in stages]
            print(f"| {engine} | {r['counts']['kept']} | {r['counts'].get('fitted_on', '')} | " + " | ".join(cells) +
                  f" | {r['wall']:.0f} | {r['peak_mb']:.0f} | {r['tree_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
