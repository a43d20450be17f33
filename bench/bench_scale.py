"""Scaling benchmark: build time and peak memory against corpus size, local and Ray engines.

    python bench/bench_scale.py [--sizes 5000,10000,20000,40000,77000] [--ray-sizes 20000,77000]
                                [--cache DIR]
    python bench/bench_scale.py --embed 1200 [--repeat 2]
    python bench/bench_scale.py --supplied 20000,100000,200000 [--data DIR] [--cache DIR]

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

``--supplied SIZES`` measures what comes after embedding, at sizes the model
could not embed here in a day: builds whose papers bring their own vectors
(analysis/vectors.py), so no model is loaded. The abstracts are the arXiv
bulk listing resampled to N papers (copies get a new id, a numbered title and
a random date, so none is dropped as a duplicate); the vectors are 384-number
unit vectors scattered around 50 random centres, so the clustering has
structure to find. The inputs are cached in --data (never in the repository).
Each row gives every stage's seconds (run.json) and the build process's peak
RSS per stage: the build runs without --quiet and its "[stage]" lines tell
the sampler which stage it is in (``write`` is everything after the last).
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

import numpy as np
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


#: The synthetic vectors: their length, how many centres they scatter around, and how far (the norm of the
#: noise added to a unit centre before normalising: a paper's cosine to its centre is about 0.7).
DIM, CENTRES, SPREAD = 384, 50, 1.0


def supplied_corpus(n: int, data_dir: Path, seed: int = 0) -> Path:
    """N papers with an ``embedding`` column: the bulk listing resampled, vectors around random centres (cached)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = data_dir / f"supplied-{n}.parquet"
    if out.exists():
        return out
    data_dir.mkdir(parents=True, exist_ok=True)
    bulk = pd.read_parquet(SHARED / "arxiv_bulk" / "arxiv_bulk.parquet", columns=["title", "abstract", "authors"])
    rng = np.random.default_rng(seed)
    src = np.concatenate([np.arange(len(bulk)), rng.integers(0, len(bulk), max(0, n - len(bulk)))])[:n]
    copy = np.zeros(n, dtype=np.int64)  # the k-th use of a listing gets " [k]" on its title
    seen: dict[int, int] = {}
    for i, j in enumerate(src.tolist()):
        copy[i] = seen.get(j, 0)
        seen[j] = copy[i] + 1
    titles = [t if k == 0 else f"{t} [{k}]" for t, k in zip(bulk["title"].to_numpy()[src], copy.tolist(), strict=True)]
    days = rng.integers(0, 913, n)  # 2024-01-01 .. 2026-07-01
    dates = (np.datetime64("2024-01-01") + days).astype(str)
    centres = rng.standard_normal((CENTRES, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 50_000):  # in slices: 1M papers' noise at once would be another 1.5 GB
        m = min(n, start + 50_000) - start
        v = centres[rng.integers(0, CENTRES, m)] + rng.standard_normal((m, DIM)).astype(np.float32) * (
            SPREAD / np.sqrt(DIM))
        vectors[start:start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    table = pa.table({
        "id": [f"s{i:07d}" for i in range(n)], "date": dates.tolist(), "title": titles,
        "abstract": bulk["abstract"].to_numpy()[src].tolist(), "authors": bulk["authors"].to_numpy()[src].tolist(),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), DIM),
    })
    tmp = out.with_suffix(".part")
    pq.write_table(table, tmp, compression="zstd")
    tmp.rename(out)
    return out


def supplied_build(data: Path, cache: Path) -> dict:
    """One supplied-vector build in its own process: seconds per stage and the peak RSS of each stage."""
    import re
    import shutil
    import threading

    for stored in ("reduced", "themes"):  # UMAP results and the themes' phrase index: measured, not read back
        shutil.rmtree(cache / stored, ignore_errors=True)
    out = Path(tempfile.mkdtemp(dir=data.parent)) / "run"
    env = {**os.environ, "PAPERTOPICS_MAX_BYTES": str(8 << 30), "PAPERTOPICS_MAX_ROWS": str(5_000_000)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "build", str(data), "--out", str(out), "--cache",
                             str(cache)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)
    peak = PeakRSS(proc.pid, interval=0.2, stage="load").start()
    tail: list[str] = []

    def follow() -> None:  # "[stage] message" lines move the sampler on; "[done]" is followed by the write
        for line in proc.stderr:
            tail.append(line)
            m = re.match(r"\[(\w+)\]", line)
            if m:
                peak.stage = "write" if m.group(1) == "done" else m.group(1)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    proc.wait()
    reader.join()
    peak.stop()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit("".join(tail)[-2000:])
    meta = json.loads((out / "run.json").read_text())
    shutil.rmtree(out.parent, ignore_errors=True)
    return {"wall": wall, "peaks": peak.peaks, "peak_mb": peak.peak_mb, "seconds": meta["seconds"],
            "counts": meta["counts"], "load": os.getloadavg()}


def supplied_main(sizes: list[int], data_dir: Path, cache: Path) -> None:
    stages = [s.name for s in STAGES]
    print("Seconds per stage (run.json), then peak RSS per stage in MB (the build process, sampled every "
          "0.2 s).\n")
    print("| papers | topics | fitted on | " + " | ".join(stages) + " | wall s | peak MB | peak stage | "
          + " | ".join(f"{s} MB" for s in stages) + " | load avg (1, 5, 15 min) at end |")
    print("|---" * (2 * len(stages) + 7) + "|")
    for n in sizes:
        data = supplied_corpus(n, data_dir)
        r = supplied_build(data, cache)
        secs = [f"{r['seconds'].get(s, 0):.1f}" for s in stages]
        mbs = [f"{r['peaks'].get(s, 0):.0f}" for s in stages]
        top = max(r["peaks"], key=r["peaks"].get)
        c = r["counts"]
        print(f"| {c['kept']} | {c['topics']} | {c['fitted_on']} | " + " | ".join(secs) + f" | {r['wall']:.0f} | "
              f"{r['peak_mb']:.0f} | {top} | " + " | ".join(mbs) + " | "
              + ", ".join(f"{x:.1f}" for x in r["load"]) + " |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="5000,10000,20000,40000,77000")
    p.add_argument("--ray-sizes", default="20000,77000")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-scale-cache")
    p.add_argument("--embed", type=int, metavar="N", help="measure the embed stage of N papers, local against Ray")
    p.add_argument("--repeat", type=int, default=2, help="--embed: local/Ray pairs to run")
    p.add_argument("--supplied", metavar="SIZES", help="supplied-vector builds of these sizes instead (see above)")
    p.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "scale-data",
                   help="where --supplied keeps its generated inputs")
    args = p.parse_args()
    if args.supplied:
        record_results("bench_scale_supplied")
        supplied_main([int(s) for s in args.supplied.split(",") if s], args.data, args.cache)
        return
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
