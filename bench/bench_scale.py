"""Scaling benchmark: build time and peak memory against corpus size, local and Ray engines.

    python bench/bench_scale.py [--sizes 5000,10000,20000,40000,77000] [--ray-sizes 20000,77000]
                                [--cache DIR]

The corpus is the Daily Papers archive followed by the arXiv bulk listing
(../shared/data/arxiv_bulk), the first N papers of that concatenation. Each
build runs in its own process (peak RSS is that process's, plus Ray's workers
for the Ray engine, which are reported separately by Ray and not included).
Embeddings are cached in --cache across sizes, so the table reports both the
first-time cost (embedding) and the fit cost; the per-paper figures at the
end are what the 1M-paper extrapolation in the README is computed from.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
    out = Path(tempfile.mkdtemp()) / "run"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis", "build", str(data), "--out", str(out), "--cache",
                           str(cache), "--engine", engine, "--quiet"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    meta = json.loads((out / "run.json").read_text())
    return {"wall": wall, "peak_mb": peak_mb, "seconds": meta["seconds"], "counts": meta["counts"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="5000,10000,20000,40000,77000")
    p.add_argument("--ray-sizes", default="20000,77000")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-scale-cache")
    args = p.parse_args()
    os.environ["PAPERTOPICS_NO_SHIPPED_EMBEDDINGS"] = "1"
    stages = ["embed", "reduce", "cluster", "map", "assign", "represent", "themes", "trends", "metrics", "write"]
    print("| engine | papers | fitted on | " + " | ".join(stages) + " | wall s | peak RSS MB (max so far) |")
    print("|---" * (len(stages) + 5) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        plan = [("local", int(s)) for s in args.sizes.split(",") if s]
        plan += [("ray", int(s)) for s in args.ray_sizes.split(",") if s]
        for engine, n in plan:
            data = corpus(n, Path(tmp) / f"c{n}.parquet")
            r = one_build(data, args.cache, engine)
            cells = [f"{r['seconds'].get(s, 0):.1f}" for s in stages]
            print(f"| {engine} | {r['counts']['kept']} | {r['counts'].get('fitted_on', '')} | " + " | ".join(cells) +
                  f" | {r['wall']:.0f} | {r['peak_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
